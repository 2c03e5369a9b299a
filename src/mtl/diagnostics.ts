// Gradient-conflict diagnostics: for each pair of task gradients on the shared parameters,
// the cosine similarity (direction: do the tasks pull the same way?), how often it was
// negative, and the ratio of their norms (magnitude: does one task own the shared layers?),
// averaged over the sampled steps of an epoch.
import { cosine, norm } from './gradients.js';

export interface GradientCosine {
  a: string;
  b: string;
  /** Mean cosine over the sampled steps. */
  mean: number;
  /** Fraction of sampled steps where the cosine was below 0. */
  negativeFraction: number;
  /** Geometric mean over the sampled steps of |grad a| / |grad b|. */
  normRatio: number;
  samples: number;
}

export class ConflictMonitor {
  private readonly acc = new Map<string, { a: string; b: string; sum: number; negative: number; logRatio: number; samples: number }>();

  record(tasks: readonly string[], grads: readonly Float32Array[]): void {
    const norms = grads.map(norm);
    for (let i = 0; i < tasks.length; i++)
      for (let j = i + 1; j < tasks.length; j++) {
        const c = cosine(grads[i], grads[j], norms[i], norms[j]);
        if (Number.isNaN(c)) continue; // a zero gradient has no direction
        const [a, b, na, nb] = tasks[i] < tasks[j] ? [tasks[i], tasks[j], norms[i], norms[j]] : [tasks[j], tasks[i], norms[j], norms[i]];
        const key = `${a}\u0000${b}`;
        let e = this.acc.get(key);
        if (!e) this.acc.set(key, (e = { a, b, sum: 0, negative: 0, logRatio: 0, samples: 0 }));
        e.sum += c;
        if (c < 0) e.negative++;
        e.logRatio += Math.log(na / nb);
        e.samples++;
      }
  }

  summary(): GradientCosine[] {
    return [...this.acc.values()].map((e) => ({
      a: e.a,
      b: e.b,
      mean: e.sum / e.samples,
      negativeFraction: e.negative / e.samples,
      normRatio: Math.exp(e.logRatio / e.samples),
      samples: e.samples,
    }));
  }

  reset(): void {
    this.acc.clear();
  }
}

/**
 * Which steps sample the conflicts: every `every`-th, and each of the first `warmup` so a
 * small data set still gets a stable estimate; none when `every` is 0.
 */
export function conflictSteps(every = 10, warmup = 50): (step: number) => boolean {
  return every > 0 ? (step) => step < warmup || step % every === 0 : () => false;
}
