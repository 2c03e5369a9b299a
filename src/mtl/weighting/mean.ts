// Mean weighting: L = mean_i L_i, the unitary scalarisation (Kurin et al., "In Defense of
// the Unitary Scalarization for Deep Multi-Task Learning", NeurIPS 2022) divided by the
// number of active tasks, so the loss keeps one scale as tasks come and go under an
// alternating schedule. Under Adam it trains like `equal`. No hyper-parameters.
import { weightedSum, type LossWeighting } from './strategy.js';

/** L = mean_i L_i. */
export function mean(): LossWeighting {
  return {
    name: 'mean',
    combine(ctx) {
      const w = ctx.losses.map(() => 1 / ctx.losses.length);
      return { loss: weightedSum(ctx.losses, w), weights: w };
    },
  };
}
