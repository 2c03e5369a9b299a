// GradDrop: Chen, Ngiam, Huang, Luong, Kretzschmar, Chai and Anguelov, "Just Pick a Sign:
// Optimizing Deep Multitask Models with Gradient Sign Dropout" (NeurIPS 2020). Where the
// task gradients disagree in sign on a coordinate, one sign is kept and the other dropped,
// at random with the odds of their balance: the positive-sign purity
//   P = (1 + sum_i g_i / sum_i |g_i|) / 2
// is the chance of keeping the positive contributions (and dropping the negative ones);
// otherwise the negative ones are kept. A coordinate where every task agrees (P = 1 or 0)
// keeps everything. The paper applies the mask at a layer's activations; the weighting
// interface sees the shared parameters' gradients, so the mask acts on those directly.
// Task-specific parameters train on their own losses.
// Hyper-parameters: `leak` (default 0: a dropped contribution is scaled by `leak` instead of
// removed; 1 is the plain sum) and `seed` (default 1) of the coin flips.
import { Generator } from '../../tensor/random.js';
import { mergeSharedGradients } from './shared-gradient.js';
import type { LossWeighting } from './strategy.js';

export function gradDrop(options: { leak?: number; seed?: number } = {}): LossWeighting {
  const leak = options.leak ?? 0;
  const generator = new Generator(options.seed ?? 1);
  const random = (): number => generator.uniform();
  return {
    name: 'graddrop',
    combine: (ctx) => mergeSharedGradients(ctx, (grads) => ({ weights: ctx.taskWeights.slice(), gradient: dropSigns(grads, random, leak) })),
  };
}

/** The GradDrop merge of flat task gradients: per coordinate, the kept sign's contributions plus `leak` times the others. */
export function dropSigns(grads: readonly Float32Array[], random: () => number = Math.random, leak = 0): Float32Array {
  const merged = new Float32Array(grads[0]?.length ?? 0);
  for (let k = 0; k < merged.length; k++) {
    let positive = 0, negative = 0;
    for (const g of grads) {
      if (g[k] > 0) positive += g[k];
      else negative += g[k];
    }
    const purity = 0.5 * (1 + (positive + negative) / (positive - negative + 1e-30));
    const keepPositive = purity > random();
    merged[k] = keepPositive ? positive + leak * negative : negative + leak * positive;
  }
  return merged;
}
