// DB-MTL: Lin, Ye, Zhang and Kwok, "Dual-Balancing for Multi-Task Learning" (2023). Two
// balances. Loss scale: every task trains on log L_i, whose gradient g_i / L_i no longer
// carries the loss's units. Gradient magnitude: each task's (EMA of its) log-loss gradient
// on the shared parameters is rescaled to the largest norm among them, so every task pulls
// the shared parameters equally hard and none is shrunk:
//   m_i <- g_i / L_i + (beta / t^sigma) (m_i - g_i / L_i),   d = sum_i (max_j |m_j| / |m_i|) m_i.
// The gradient of log L_i needs no extra backward: it is the task gradient over the loss.
// Task-specific parameters train on sum_i log L_i. The logged weight of a task is its
// factor on g_i in d when beta = 0: max_j |m_j| / (|m_i| L_i).
// Hyper-parameters: `beta` (default 0.9, the EMA rate) and `betaSigma` (default 0: the rate
// decays as beta / t^sigma with the step count t), the values of the authors' code.
import { norm, scaled } from '../gradients.js';
import { weightedCombination } from './linalg.js';
import { mergeSharedGradients } from './shared-gradient.js';
import { weightedSum, type LossWeighting } from './strategy.js';

export function dbMtl(options: { beta?: number; betaSigma?: number } = {}): LossWeighting {
  const beta = options.beta ?? 0.9;
  const betaSigma = options.betaSigma ?? 0;
  const averages = new Map<string, { m: Float32Array; steps: number }>();
  return {
    name: 'db-mtl',
    combine(ctx) {
      const inverseLoss = ctx.lossValues.map((v) => 1 / Math.max(v, 1e-8));
      const logLoss = weightedSum(ctx.losses, ctx.taskWeights.map((w, i) => w * inverseLoss[i]));
      return mergeSharedGradients(
        ctx,
        (grads) => {
          const m = grads.map((g, i) => logLossAverage(averages, ctx.tasks[i], scaled(g, inverseLoss[i]), beta, betaSigma));
          const norms = m.map(norm);
          const largest = Math.max(...norms);
          const balance = norms.map((n) => (n > 0 ? largest / n : 0));
          return { weights: balance.map((b, i) => b * inverseLoss[i]), gradient: weightedCombination(m, balance) };
        },
        logLoss,
      );
    },
  };
}

/** The task's EMA of its log-loss gradient, updated with `g` (the first step takes g as it is). */
function logLossAverage(averages: Map<string, { m: Float32Array; steps: number }>, task: string, g: Float32Array, beta: number, betaSigma: number): Float32Array {
  const state = averages.get(task);
  if (!state || state.m.length !== g.length) {
    averages.set(task, { m: g, steps: 1 });
    return g;
  }
  state.steps++;
  const rate = beta / Math.pow(state.steps, betaSigma);
  for (let k = 0; k < g.length; k++) state.m[k] = g[k] + rate * (state.m[k] - g[k]);
  return state.m;
}
