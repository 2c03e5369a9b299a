// Max weighting: L = max_i L_i, the worst-case objective of minimax multi-task learning
// (Mehta, Lee and Gray, "Minimax Multi-Task Learning and a Generalized Loss-Compositional
// Paradigm for MTL", NeurIPS 2012). No hyper-parameters.
import { mul } from '../../ops/elementwise.js';
import type { LossWeighting } from './strategy.js';

/** L = max_i L_i (only the worst task gets a gradient this step; the first of equal losses). */
export function max(): LossWeighting {
  return {
    name: 'max',
    combine(ctx) {
      let k = 0;
      ctx.lossValues.forEach((v, i) => {
        if (v > ctx.lossValues[k]) k = i;
      });
      return { loss: mul(ctx.losses[k], 1), weights: ctx.losses.map((_, i) => (i === k ? 1 : 0)) };
    },
  };
}
