// Fixed weights: L = sum_i w_i L_i. Linear scalarisation, the baseline every adaptive
// method is measured against; Kurin et al., "In Defense of the Unitary Scalarization for
// Deep Multi-Task Learning" (NeurIPS 2022), find it hard to beat when well tuned.
import { weightedSum, type LossWeighting } from './strategy.js';

/**
 * L = sum_i w_i L_i. `weights` (by task name) overrides a task's weight; a task left out of
 * it keeps the weight it was declared with (TaskSpec.weight, default 1).
 */
export function fixed(weights?: Record<string, number>): LossWeighting {
  return {
    name: 'fixed',
    combine(ctx) {
      const w = ctx.tasks.map((t, i) => weights?.[t] ?? ctx.taskWeights[i]);
      return { loss: weightedSum(ctx.losses, w), weights: w };
    },
  };
}
