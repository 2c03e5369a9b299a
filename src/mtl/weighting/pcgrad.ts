// PCGrad: Yu, Kumar, Gupta, Levine, Hausman and Finn, "Gradient Surgery for Multi-Task
// Learning" (NeurIPS 2020). Each task's gradient on the shared parameters is projected onto
// the normal plane of every other task gradient it conflicts with (negative dot product),
// in a random order; the projected gradients are summed. Task-specific parameters get the
// plain weighted-sum gradient, with each task's declared weight.
// Hyper-parameter: `seed` (default 1) of the random projection order.
import { Generator } from '../../tensor/random.js';
import { addInto, dot, removeComponent } from '../gradients.js';
import { mergeSharedGradients } from './shared-gradient.js';
import type { LossWeighting } from './strategy.js';

export function pcgrad(options: { seed?: number } = {}): LossWeighting {
  const generator = new Generator(options.seed ?? 1);
  const random = (): number => generator.uniform();
  return {
    name: 'pcgrad',
    combine: (ctx) => mergeSharedGradients(ctx, (g) => ({ weights: ctx.taskWeights.slice(), gradient: projectConflicting(g, random) })),
  };
}

/** The PCGrad merge of flat task gradients (exported for tests and custom strategies). */
export function projectConflicting(grads: readonly Float32Array[], random: () => number = Math.random): Float32Array {
  const merged = new Float32Array(grads[0]?.length ?? 0);
  const squaredNorms = grads.map((g) => dot(g, g));
  for (let i = 0; i < grads.length; i++) {
    const gi = Float32Array.from(grads[i]);
    for (const j of shuffledOthers(grads.length, i, random)) {
      const d = dot(gi, grads[j]);
      if (d < 0) removeComponent(gi, grads[j], d, squaredNorms[j]);
    }
    addInto(merged, gi);
  }
  return merged;
}

/** 0..n-1 without `self`, in a random order (Fisher-Yates driven by `random`); GradVac visits the others the same way. */
export function shuffledOthers(n: number, self: number, random: () => number): number[] {
  const order = [...Array(n).keys()].filter((j) => j !== self);
  for (let k = order.length - 1; k > 0; k--) {
    const r = Math.floor(random() * (k + 1));
    [order[k], order[r]] = [order[r], order[k]];
  }
  return order;
}
