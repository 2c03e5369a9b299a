// Gradient-conflict diagnostics: the cosine similarity between each pair of task gradients
// on the shared parameters, averaged over the sampled steps of an epoch, and how often it
// was negative (the tasks pulled the shared parameters in opposing directions).
import { dot } from './weighting.js';

export interface GradientCosine {
  a: string;
  b: string;
  /** Mean cosine over the sampled steps. */
  mean: number;
  /** Fraction of sampled steps where the cosine was below 0. */
  negativeFraction: number;
  samples: number;
}

/** Cosine similarity of two flat gradients (NaN when either is zero). */
export function cosine(a: Float32Array, b: Float32Array): number {
  const d = Math.sqrt(dot(a, a) * dot(b, b));
  return d > 0 ? dot(a, b) / d : NaN;
}

export class ConflictMonitor {
  private readonly acc = new Map<string, { a: string; b: string; sum: number; negative: number; samples: number }>();

  record(tasks: readonly string[], grads: readonly Float32Array[]): void {
    for (let i = 0; i < tasks.length; i++)
      for (let j = i + 1; j < tasks.length; j++) {
        const c = cosine(grads[i], grads[j]);
        if (Number.isNaN(c)) continue;
        const [a, b] = tasks[i] < tasks[j] ? [tasks[i], tasks[j]] : [tasks[j], tasks[i]];
        const key = `${a}\u0000${b}`;
        let e = this.acc.get(key);
        if (!e) this.acc.set(key, (e = { a, b, sum: 0, negative: 0, samples: 0 }));
        e.sum += c;
        if (c < 0) e.negative++;
        e.samples++;
      }
  }

  summary(): GradientCosine[] {
    return [...this.acc.values()].map((e) => ({ a: e.a, b: e.b, mean: e.sum / e.samples, negativeFraction: e.negative / e.samples, samples: e.samples }));
  }

  reset(): void {
    this.acc.clear();
  }
}
