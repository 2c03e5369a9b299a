// Aligned-MTL: Senushkin, Patakin, Kuznetsov and Konushin, "Independent Component Alignment
// for Multi-Task Learning" (CVPR 2023). Conflicts and dominance show up as a badly
// conditioned system of task gradients; Aligned-MTL replaces the gradients g_i by aligned
// ones g^_k = sum_i B_ki g_i whose Gram matrix is lambda_min I: orthogonal, all of one norm
// (condition number 1), spanning the same space. With the Gram matrix G = V diag(lambda) V',
// B = sqrt(lambda_min) V diag(lambda^-1/2) V' over the eigen-directions above the rank
// tolerance, and the shared update is the sum of the aligned gradients, i.e.
// sum_i alpha_i g_i with alpha = B 1. Scaling by the smallest singular value keeps the
// update no larger than the weakest direction allows, as in the paper.
// Task-specific parameters train on their own losses. No hyper-parameters.
import { gramMatrix, symmetricEigen, weightedCombination, type Matrix } from './linalg.js';
import { mergeSharedGradients } from './shared-gradient.js';
import type { LossWeighting } from './strategy.js';

export function alignedMtl(): LossWeighting {
  return {
    name: 'aligned-mtl',
    combine: (ctx) =>
      mergeSharedGradients(ctx, (grads) => {
        const B = alignmentMatrix(gramMatrix(grads));
        const weights = B.map((row) => row.reduce((a, b) => a + b, 0));
        return { weights, gradient: weightedCombination(grads, weights) };
      }),
  };
}

/**
 * B = sqrt(lambda_min) V diag(lambda^-1/2) V' for the Gram matrix G, over the eigenvalues
 * above max(lambda) * T * 1e-7 (float32 gradients); B G B' = lambda_min I on that subspace.
 */
export function alignmentMatrix(G: Matrix): Matrix {
  const T = G.length;
  const { values, vectors } = symmetricEigen(G);
  const tolerance = Math.max(0, values[0]) * T * 1e-7;
  const kept = values.map((v, k) => k).filter((k) => values[k] > tolerance);
  const B: Matrix = Array.from({ length: T }, () => new Array<number>(T).fill(0));
  if (!kept.length) return B;
  const smallest = Math.sqrt(values[kept[kept.length - 1]]);
  for (const k of kept) {
    const s = smallest / Math.sqrt(values[k]);
    for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) B[i][j] += s * vectors[k][i] * vectors[k][j];
  }
  return B;
}
