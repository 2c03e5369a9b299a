// GradVac: Wang, Tsvetkov, Firat and Cao, "Gradient Vaccine: Investigating and Improving
// Multi-task Optimization in Massively Multilingual Models" (ICLR 2021). PCGrad only acts
// when two task gradients point against each other (cosine < 0); GradVac keeps, for every
// ordered pair of tasks, an exponential moving average of their cosine as a target, and
// whenever the current cosine falls below it adds to g_i just enough of g_j to bring the
// cosine up to the target, so tasks that usually agree are held to that agreement. With
// every target 0 (the first step) this is PCGrad's projection. Pairs are visited in a
// random order per task, as in PCGrad; the adjusted gradients are summed. The cosine is
// taken over all shared parameters at once (the paper's coarsest granularity).
// Task-specific parameters train on their own losses.
// Hyper-parameters: `beta` (default 0.01, the paper's EMA rate of the targets) and `seed`
// (default 1) of the visiting order.
import { Generator } from '../../tensor/random.js';
import { addInto, cosine, dot, norm } from '../gradients.js';
import { shuffledOthers } from './pcgrad.js';
import { mergeSharedGradients } from './shared-gradient.js';
import type { LossWeighting } from './strategy.js';

export function gradVac(options: { beta?: number; seed?: number } = {}): LossWeighting & { targets(): Record<string, number> } {
  const beta = options.beta ?? 0.01;
  const generator = new Generator(options.seed ?? 1);
  const random = (): number => generator.uniform();
  const targets = new Map<string, number>(); // 'i|j' -> EMA of cos(g_i, g_j)
  return {
    name: 'gradvac',
    combine: (ctx) =>
      mergeSharedGradients(ctx, (grads) => {
        const norms = grads.map(norm);
        const merged = new Float32Array(grads[0].length);
        for (let i = 0; i < grads.length; i++) {
          const gi = Float32Array.from(grads[i]);
          for (const j of shuffledOthers(grads.length, i, random)) {
            if (!(norms[j] > 0)) continue;
            const key = `${ctx.tasks[i]}|${ctx.tasks[j]}`;
            const giNorm = norm(gi);
            const current = giNorm > 0 ? dot(gi, grads[j]) / (giNorm * norms[j]) : 0;
            const target = targets.get(key) ?? 0;
            if (current < target) raiseCosine(gi, grads[j], target, current, giNorm, norms[j]);
            targets.set(key, (1 - beta) * target + beta * current);
          }
          addInto(merged, gi);
        }
        return { weights: ctx.taskWeights.slice(), gradient: merged };
      }),
    targets: () => Object.fromEntries(targets),
  };
}

/**
 * Adds to `g` (in place) the multiple of `other` that raises cos(g, other) from `current`
 * to `target` (target in (-1, 1)):
 *   g += |g| (target sqrt(1 - current^2) - current sqrt(1 - target^2)) / (|other| sqrt(1 - target^2)) other.
 */
export function raiseCosine(g: Float32Array, other: Float32Array, target: number, current = cosine(g, other), gNorm = norm(g), otherNorm = norm(other)): void {
  if (!(gNorm > 0 && otherNorm > 0)) return;
  const sinTarget = Math.sqrt(Math.max(0, 1 - target * target));
  const sinCurrent = Math.sqrt(Math.max(0, 1 - current * current));
  if (!(sinTarget > 0)) return;
  const w = (gNorm * (target * sinCurrent - current * sinTarget)) / (otherNorm * sinTarget);
  for (let k = 0; k < g.length; k++) g[k] += w * other[k];
}
