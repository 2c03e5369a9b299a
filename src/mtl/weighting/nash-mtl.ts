// Nash-MTL: Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik and Fetaya, "Multi-Task
// Learning as a Bargaining Game" (ICML 2022). The shared update d = sum_i alpha_i g_i is
// the Nash bargaining solution among the tasks: alpha > 0 solves G alpha = 1 / alpha
// (elementwise), i.e. g_i . d = 1 / alpha_i for every task, so no task's gain can be
// raised without a proportionally larger loss to another, and the update is invariant to
// the scale of each loss. For orthogonal gradients alpha_i = 1 / |g_i|.
// G alpha = 1 / alpha is the stationarity condition of the strictly convex
//   f(alpha) = 1/2 alpha' G alpha - sum_i log alpha_i,
// which is minimised by damped Newton steps on the T x T problem (the paper's sequence of
// convex programs needs an external solver; this needs none). The Gram matrix is first
// divided by its Frobenius norm for conditioning, and alpha rescaled back. Tasks whose
// gradient is zero get weight 0; a tiny ridge keeps exactly opposed gradients solvable.
// Task-specific parameters train on their own losses.
// Hyper-parameters: `iterations` (default 30 Newton steps; it converges in a few) and
// `maxNorm` (default 0: off; otherwise the shared gradient is clipped to that norm, as the
// authors' code does with 1).
import { gramMatrix, matVec, solveLinear, vecDot, weightedCombination, type Matrix } from './linalg.js';
import { mergeSharedGradients } from './shared-gradient.js';
import type { LossWeighting } from './strategy.js';

export function nashMtl(options: { iterations?: number; maxNorm?: number } = {}): LossWeighting {
  const iterations = options.iterations ?? 30;
  const maxNorm = options.maxNorm ?? 0;
  return {
    name: 'nash-mtl',
    combine: (ctx) =>
      mergeSharedGradients(ctx, (grads) => {
        const G = gramMatrix(grads);
        let weights = bargainingWeights(G, iterations);
        if (maxNorm > 0) {
          const dNorm = Math.sqrt(vecDot(weights, matVec(G, weights)));
          if (dNorm > maxNorm) weights = weights.map((w) => (w * maxNorm) / dNorm);
        }
        return { weights, gradient: weightedCombination(grads, weights) };
      }),
  };
}

/** alpha > 0 with G alpha = 1 / alpha, for the Gram matrix G of the task gradients (0 for a zero gradient). */
export function bargainingWeights(G: Matrix, iterations = 30): number[] {
  const live = G.map((row, i) => i).filter((i) => G[i][i] > 0);
  const alpha = new Array<number>(G.length).fill(0);
  if (!live.length) return alpha;
  const frobenius = Math.sqrt(live.reduce((s, i) => s + live.reduce((t, j) => t + G[i][j] * G[i][j], 0), 0));
  const A = live.map((i) => live.map((j) => G[i][j] / frobenius + (i === j ? 1e-9 : 0)));
  const solved = newtonBargaining(A, iterations);
  // G = frobenius * A, so alpha_G = alpha_A / sqrt(frobenius).
  live.forEach((i, k) => (alpha[i] = solved[k] / Math.sqrt(frobenius)));
  return alpha;
}

function newtonBargaining(A: Matrix, iterations: number): number[] {
  const f = (a: number[]): number => 0.5 * vecDot(a, matVec(A, a)) - a.reduce((s, v) => s + Math.log(v), 0);
  // Exact for orthogonal gradients, a good start otherwise.
  let a = A.map((row, i) => 1 / Math.sqrt(row[i]));
  for (let it = 0; it < iterations; it++) {
    const Aa = matVec(A, a);
    const grad = Aa.map((v, i) => v - 1 / a[i]);
    if (Math.sqrt(vecDot(grad, grad)) < 1e-12) break;
    const hessian = A.map((row, i) => row.map((v, j) => v + (i === j ? 1 / (a[i] * a[i]) : 0)));
    const step = solveLinear(hessian, grad);
    // Halve the step until alpha stays positive and f decreases (Armijo).
    let t = 1;
    const f0 = f(a), slope = vecDot(grad, step);
    let next = a;
    for (let tries = 0; tries < 60; tries++, t /= 2) {
      next = a.map((v, i) => v - t * step[i]);
      if (next.every((v) => v > 0) && f(next) <= f0 - 1e-4 * t * slope) break;
    }
    if (!next.every((v) => v > 0)) break;
    a = next;
  }
  return a;
}
