// RLW: Lin, Ye, Xu, Shi and Zhang, "Reasonable Effectiveness of Random Weighting: A Litmus
// Test for Multi-Task Learning" (TMLR 2022). Each step draws fresh loss weights
// w = T softmax(z), z_i ~ N(0, 1): positive, summing to T, 1 each on average. The paper's
// point is that an adaptive method should beat this to claim it adapts. Needs no gradients.
// Hyper-parameter: `seed` (default 1) of the weights' own generator, so a run is reproducible
// without disturbing the model's random stream.
import { Generator } from '../../tensor/random.js';
import { weightedSum, type LossWeighting } from './strategy.js';

export function rlw(options: { seed?: number } = {}): LossWeighting {
  const generator = new Generator(options.seed ?? 1);
  return {
    name: 'rlw',
    combine(ctx) {
      const weights = scaledSoftmax(ctx.losses.map(() => generator.normal()));
      return { loss: weightedSum(ctx.losses, weights), weights };
    },
  };
}

/** T softmax(z): positive weights that sum to the number of entries (FAMO's shares use it too). */
export function scaledSoftmax(z: readonly number[]): number[] {
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => (z.length * v) / total);
}
