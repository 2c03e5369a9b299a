// The plumbing every gradient-surgery strategy shares (PCGrad, MGDA, CAGrad, Nash-MTL, IMTL,
// Aligned-MTL, GradVac, GradDrop, DB-MTL): the task-specific parameters get the gradient of
// a plain loss (by default the declared-weight sum, so each head trains on its own task as
// in the papers), while the shared parameters get a merge of the per-task gradients, each
// first scaled by its task's declared weight. With one active task or no shared
// parameters there is nothing to merge and the plain loss is all.
import type { Tensor } from '../../tensor/tensor.js';
import { scaled } from '../gradients.js';
import { weightedSum, type WeightingContext, type WeightingResult } from './strategy.js';

/** What a merge returns: the weight it logs per task, and the shared parameters' new gradient. */
export interface SharedMerge {
  weights: number[];
  gradient: Float32Array;
}

/**
 * Runs `merge` on the declared-weight-scaled task gradients and returns the result the
 * trainer applies; `loss` (default: the declared-weight sum) is what trains the rest.
 */
export function mergeSharedGradients(
  ctx: WeightingContext,
  merge: (grads: Float32Array[]) => SharedMerge,
  loss: Tensor = weightedSum(ctx.losses, ctx.taskWeights),
): WeightingResult {
  if (ctx.tasks.length < 2 || !ctx.sharedParameters.length) return { loss, weights: ctx.taskWeights.slice() };
  const grads = ctx.taskGradients().map((g, i) => (ctx.taskWeights[i] === 1 ? g : scaled(g, ctx.taskWeights[i])));
  const { weights, gradient } = merge(grads);
  return { loss, weights, sharedGradient: gradient };
}
