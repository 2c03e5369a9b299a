// GradNorm: Chen, Badrinarayanan, Lee and Rabinovich, "GradNorm: Gradient Normalization for
// Adaptive Loss Balancing in Deep Multitask Networks" (ICML 2018). Weights w_i move so that
// each task's weighted gradient norm on the shared parameters ||w_i g_i|| tracks
// mean_j ||w_j g_j|| * r_i^alpha, where r_i is the task's relative inverse training rate
// (L_i / L_i(0), over its mean). The target is a constant, so
// d|w_i G_i - target_i| / dw_i = sign(.) G_i and no second-order gradient is needed.
// Weights stay positive (at least 1e-3) and sum to the number of tasks.
// Hyper-parameters: `alpha` (default 1.5, the paper's asymmetry: how hard a task that
// trains slowly is pulled up) and `lr` (default 0.05, the step of the weight update,
// relative to the mean gradient norm).
import { norm } from '../gradients.js';
import { weightedSum, type LossWeighting } from './strategy.js';

export function gradNorm(options: { alpha?: number; lr?: number } = {}): LossWeighting & { weightsByTask(): Record<string, number> } {
  const alpha = options.alpha ?? 1.5;
  const lr = options.lr ?? 0.05;
  const w = new Map<string, number>();
  const initial = new Map<string, number>();
  return {
    name: 'gradnorm',
    init(tasks) {
      for (const t of tasks) if (!w.has(t)) w.set(t, 1);
    },
    combine(ctx) {
      const T = ctx.tasks.length;
      for (const [i, t] of ctx.tasks.entries()) if (!initial.has(t)) initial.set(t, Math.max(ctx.lossValues[i], 1e-12));
      if (T > 1 && ctx.sharedParameters.length) {
        const G = ctx.taskGradients().map(norm);
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
