// Equal weighting (EW in LibMTL): L = sum_i L_i, every weight 1 whatever the declared
// weights; the unitary scalarisation of Kurin et al., "In Defense of the Unitary
// Scalarization for Deep Multi-Task Learning" (NeurIPS 2022). No hyper-parameters.
import { weightedSum, type LossWeighting } from './strategy.js';

/** L = sum_i L_i (every weight 1). */
export function equal(): LossWeighting {
  return { name: 'equal', combine: (ctx) => ({ loss: weightedSum(ctx.losses, ctx.losses.map(() => 1)), weights: ctx.losses.map(() => 1) }) };
}
