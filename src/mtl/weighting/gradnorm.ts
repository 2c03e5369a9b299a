// GradNorm: Chen, Badrinarayanan, Lee and Rabinovich, "GradNorm: Gradient Normalization for
// Adaptive Loss Balancing in Deep Multitask Networks" (ICML 2018). Weights w_i move so that
// each task's weighted gradient norm on the shared parameters ||w_i g_i|| tracks
// mean_j ||w_j g_j|| * r_i^alpha, where r_i is the task's relative inverse training rate
// (L_i / L_i(0), over its mean). The target is a constant, so
// d|w_i G_i - target_i| / dw_i = sign(.) G_i and no second-order gradient is needed.
// Weights stay positive (at least 1e-3) and sum to the number of tasks.
// Where the norms are taken: 'gradnorm' uses all the shared parameters (the most faithful
// measure of each task's pull on what is shared, at no extra cost since the per-task
// gradients cover them all anyway); 'gradnorm-full' (`layer: 'last'`) is the paper's
// choice, the last shared layer: the last parameter of two or more dimensions in
// sharedParameters order and the vectors after it (its bias). Architectures list the
// input encoder first and the trunk after it, so for a shared bottom that is the trunk's
// last layer; for MMoE and PLE it is the last expert's, so pass `layer: 'all'` there.
// Hyper-parameters: `alpha` (default 1.5, the paper's asymmetry: how hard a task that
// trains slowly is pulled up), `lr` (default 0.05, the step of the weight update,
// relative to the mean gradient norm) and `layer` ('all' or 'last', above).
import type { Tensor } from '../../tensor/tensor.js';
import { norm } from '../gradients.js';
import { weightedSum, type LossWeighting } from './strategy.js';

export function gradNorm(options: { alpha?: number; lr?: number; layer?: 'all' | 'last' } = {}): LossWeighting & { weightsByTask(): Record<string, number> } {
  const alpha = options.alpha ?? 1.5;
  const lr = options.lr ?? 0.05;
  const layer = options.layer ?? 'all';
  const w = new Map<string, number>();
  const initial = new Map<string, number>();
  return {
    name: layer === 'last' ? 'gradnorm-full' : 'gradnorm',
    init(tasks) {
      for (const t of tasks) if (!w.has(t)) w.set(t, 1);
    },
    combine(ctx) {
      const T = ctx.tasks.length;
      for (const [i, t] of ctx.tasks.entries()) if (!initial.has(t)) initial.set(t, Math.max(ctx.lossValues[i], 1e-12));
      if (T > 1 && ctx.sharedParameters.length) {
        const [from, to] = layer === 'last' ? lastLayerSpan(ctx.sharedParameters) : [0, Infinity];
        const G = ctx.taskGradients().map((g) => norm(g.subarray(from, to)));
        const cur = ctx.tasks.map((t) => w.get(t) ?? 1);
        const meanWG = G.reduce((s, g, i) => s + cur[i] * g, 0) / T;
        const meanG = G.reduce((a, b) => a + b, 0) / T || 1;
        const ratio = ctx.tasks.map((t, i) => ctx.lossValues[i] / initial.get(t)!);
        const meanRatio = ratio.reduce((a, b) => a + b, 0) / T || 1;
        const next = cur.map((wi, i) => {
          const target = meanWG * Math.pow(ratio[i] / meanRatio, alpha);
          return Math.max(1e-3, wi - (lr * Math.sign(wi * G[i] - target) * G[i]) / meanG);
        });
        const scale = T / next.reduce((a, b) => a + b, 0);
        ctx.tasks.forEach((t, i) => w.set(t, next[i] * scale));
      }
      const weights = ctx.tasks.map((t) => w.get(t) ?? 1);
      return { loss: weightedSum(ctx.losses, weights), weights };
    },
    weightsByTask: () => Object.fromEntries(w),
  };
}

/**
 * The flat-gradient span [from, to) of the last shared layer: the last parameter with two or
 * more dimensions and the vectors that follow it (all of them when there is no matrix).
 */
export function lastLayerSpan(shared: readonly Tensor[]): [number, number] {
  let last = -1;
  shared.forEach((p, i) => {
    if (p.shape.length >= 2) last = i;
  });
  const total = shared.reduce((s, p) => s + p.size, 0);
  const from = shared.slice(0, Math.max(0, last)).reduce((s, p) => s + p.size, 0);
  return [from, total];
}
