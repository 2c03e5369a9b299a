// MGDA: Sener and Koltun, "Multi-Task Learning as Multi-Objective Optimization" (NeurIPS
// 2018). The shared parameters move along the point of minimum norm in the convex hull of
// the task gradients: a common descent direction for every task while one exists, and zero
// at a Pareto-stationary point. The weights come from Frank-Wolfe on the T x T Gram matrix,
// each step an exact line search between the current point and the best vertex (the
// paper's Algorithm 2), started from the best pair of tasks. The paper's MGDA-UB runs the
// same solver on the gradients with respect to the shared representation, an upper bound
// that saves backward passes; the weighting interface sees gradients on the shared
// parameters, so this solves the exact problem MGDA-UB bounds. Task-specific parameters
// train on their own losses, as in the paper.
// The convex weights are logged times T (they read against equal weighting's 1s) and the
// shared gradient is T times the min-norm point, on the scale of the plain sum.
// Hyper-parameter: `normalization` of each task gradient before the solve, from the paper:
// 'none' (default), 'l2' (unit gradients), 'loss' (g_i / L_i), 'loss+' (g_i / (L_i |g_i|)).
import { norm } from '../gradients.js';
import { gramMatrix, matVec, minNormOfTwo, quadratic, weightedCombination, type Matrix } from './linalg.js';
import { mergeSharedGradients } from './shared-gradient.js';
import type { LossWeighting } from './strategy.js';

export type MgdaNormalization = 'none' | 'l2' | 'loss' | 'loss+';

export function mgda(options: { normalization?: MgdaNormalization } = {}): LossWeighting {
  const normalization = options.normalization ?? 'none';
  return {
    name: 'mgda',
    combine: (ctx) =>
      mergeSharedGradients(ctx, (grads) => {
        const T = grads.length;
        const divisors = grads.map((g, i) => gradientNormalizer(normalization, g, ctx.lossValues[i]));
        const alpha = minNormWeights(gramMatrix(grads.map((g, i) => (divisors[i] === 1 ? g : g.map((v) => v / divisors[i])))));
        const weights = alpha.map((a, i) => (T * a) / divisors[i]);
        return { weights, gradient: weightedCombination(grads, weights) };
      }),
  };
}

function gradientNormalizer(kind: MgdaNormalization, g: Float32Array, loss: number): number {
  const positive = (v: number): number => (v > 0 && Number.isFinite(v) ? v : 1);
  if (kind === 'l2') return positive(norm(g));
  if (kind === 'loss') return positive(loss);
  if (kind === 'loss+') return positive(loss * norm(g));
  return 1;
}

/**
 * The convex weights alpha (alpha >= 0, sum 1) minimising |sum_i alpha_i g_i|^2 given the
 * Gram matrix G_ij = g_i . g_j. Two tasks are solved in closed form; more start, as the
 * authors' code does, from the best pair's min-norm point (so a solution on an edge of the
 * simplex is found exactly) and run Frank-Wolfe: each step moves toward the vertex with the
 * smallest (G alpha)_t by the exact line search of `minNormOfTwo`.
 */
export function minNormWeights(G: Matrix, maxIterations = 250, tolerance = 1e-7): number[] {
  const T = G.length;
  if (T === 1) return [1];
  let alpha = bestPair(G);
  if (T === 2) return alpha;
  for (let it = 0; it < maxIterations; it++) {
    const Ga = matVec(G, alpha);
    let t = 0;
    for (let r = 1; r < T; r++) if (Ga[r] < Ga[t]) t = r;
    // The segment between the current point (norm^2 = alpha'G alpha) and vertex g_t.
    const gamma = minNormOfTwo(quadratic(G, alpha), Ga[t], G[t][t]);
    const next = alpha.map((a, i) => gamma * a + (i === t ? 1 - gamma : 0));
    const change = next.reduce((s, v, i) => s + Math.abs(v - alpha[i]), 0);
    alpha = next;
    if (change < tolerance) break;
  }
  return alpha;
}

/** The min-norm point over the pair of tasks whose segment comes closest to the origin. */
function bestPair(G: Matrix): number[] {
  let best = { i: 0, j: 1, gamma: 0.5, norm2: Infinity };
  for (let i = 0; i < G.length; i++)
    for (let j = i + 1; j < G.length; j++) {
      const gamma = minNormOfTwo(G[i][i], G[i][j], G[j][j]);
      const norm2 = gamma * gamma * G[i][i] + 2 * gamma * (1 - gamma) * G[i][j] + (1 - gamma) * (1 - gamma) * G[j][j];
      if (norm2 < best.norm2) best = { i, j, gamma, norm2 };
    }
  return G.map((_, k) => (k === best.i ? best.gamma : k === best.j ? 1 - best.gamma : 0));
}
