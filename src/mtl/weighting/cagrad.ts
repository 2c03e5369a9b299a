// CAGrad: Liu, Liu, Jin, Stone and Liu, "Conflict-Averse Gradient Descent for Multi-task
// Learning" (NeurIPS 2021). The update d maximises the worst task's improvement
// min_i g_i . d while staying within c |g0| of the mean gradient g0, so it behaves like the
// average when the tasks agree and leans toward the worst-off task when they conflict. Its
// dual is a T-dimensional problem on the simplex,
//   w* = argmin_w  g_w . g0 + c |g0| |g_w|,   g_w = sum_i w_i g_i,
// solved here on the Gram matrix by projected gradient descent; then
// d = g0 + (c |g0| / |g_w*|) g_w*, and min_i g_i . d equals the dual's optimum.
// The logged weights are d's coefficients on the task gradients times T (c = 0 gives every
// weight 1 and the plain sum of gradients, i.e. equal weighting).
// Hyper-parameters: `c` (default 0.5, the paper's radius of the ball around the mean
// gradient; 0 is equal weighting) and `rescale` (default 1: d / (1 + c^2) as in the paper's
// code; 2: d / (1 + c); 0: d as it is).
import { gramMatrix, matVec, minimizeOnSimplex, quadratic, vecDot, weightedCombination } from './linalg.js';
import { mergeSharedGradients } from './shared-gradient.js';
import type { LossWeighting } from './strategy.js';

export function cagrad(options: { c?: number; rescale?: 0 | 1 | 2 } = {}): LossWeighting {
  const c = options.c ?? 0.5;
  const rescale = options.rescale ?? 1;
  if (!(c >= 0)) throw new Error(`cagrad: c must be >= 0, got ${c}`);
  const divisor = rescale === 1 ? 1 + c * c : rescale === 2 ? 1 + c : 1;
  return {
    name: 'cagrad',
    combine: (ctx) =>
      mergeSharedGradients(ctx, (grads) => {
        const weights = conflictAverseWeights(gramMatrix(grads), c).map((w) => (grads.length * w) / divisor);
        return { weights, gradient: weightedCombination(grads, weights) };
      }),
  };
}

/**
 * The coefficients of CAGrad's update d = sum_i coef_i g_i (unscaled: c = 0 gives the mean,
 * 1/T each) from the Gram matrix of the task gradients and the radius c.
 */
export function conflictAverseWeights(G: number[][], c: number): number[] {
  const T = G.length;
  const mean = new Array<number>(T).fill(1 / T);
  const Gmean = matVec(G, mean); // (g_i . g0)_i
  const radius = c * Math.sqrt(Math.max(0, vecDot(mean, Gmean)));
  if (!(radius > 0)) return mean;
  const tiny = 1e-20 * Math.max(1e-300, ...G.map((row, i) => row[i]));
  const objective = (w: number[]): number => vecDot(w, Gmean) + radius * Math.sqrt(quadratic(G, w) + tiny);
  const gradient = (w: number[]): number[] => {
    const Gw = matVec(G, w);
    const gwNorm = Math.sqrt(vecDot(w, Gw) + tiny);
    return Gmean.map((v, i) => v + (radius * Gw[i]) / gwNorm);
  };
  const w = minimizeOnSimplex(objective, gradient, mean);
  const gwNorm = Math.sqrt(quadratic(G, w));
  const lambda = gwNorm > 0 ? radius / gwNorm : 0;
  return mean.map((m, i) => m + lambda * w[i]);
}
