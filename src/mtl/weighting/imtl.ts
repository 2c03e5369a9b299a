// IMTL: Liu, Li, Kuang, Xue, Chen, Yang, Liao and Zhang, "Towards Impartial Multi-task
// Learning" (ICLR 2021).
// IMTL-G (gradient balance): the shared update d = sum_i alpha_i g_i with sum_i alpha_i = 1
// has the same projection onto every task's unit gradient u_i (d . u_i equal for all i), so
// no task is favoured by the direction of the update; alpha solves a (T-1)-dimensional
// linear system, written here in terms of the Gram matrix.
// IMTL-L (loss balance): each loss is scaled by a learnable e^{s_i}, trained on
// e^{s_i} L_i - s_i (optimum e^{s_i} = 1 / L_i, so every scaled loss tends to 1). That is
// the objective of uncertainty weighting with s_i = -(log-variance), so the same code
// trains it. IMTL-G then balances the gradients of the scaled losses.
// The full method ('imtl') is both; 'imtl-g' is the gradient balance alone. Task-specific
// parameters train on the (scaled) losses. The logged weights are T alpha_i (times e^{s_i}
// with loss balance), and the shared gradient is on the scale of the plain sum.
// Hyper-parameter: `lossBalance` (default true); the scales learn at the trainer's
// `weightingLr`.
import { gramMatrix, solveLinear, weightedCombination, type Matrix } from './linalg.js';
import { mergeSharedGradients } from './shared-gradient.js';
import type { LossWeighting } from './strategy.js';
import { uncertainty } from './uncertainty.js';

export function imtl(options: { lossBalance?: boolean } = {}): LossWeighting {
  const lossBalance = options.lossBalance ?? true;
  const scales = lossBalance ? uncertainty() : null;
  return {
    name: lossBalance ? 'imtl' : 'imtl-g',
    init: (tasks) => scales?.init?.(tasks),
    parameters: () => scales?.parameters?.() ?? [],
    combine(ctx) {
      // With loss balance: the scaled losses' objective, and each loss's scale e^{s_i}.
      const scaled = scales?.combine(ctx);
      const lossScale = scaled?.weights ?? ctx.losses.map(() => 1);
      return mergeSharedGradients(
        ctx,
        (grads) => {
          const alpha = impartialWeights(gramMatrix(grads.map((g, i) => (lossScale[i] === 1 ? g : g.map((v) => v * lossScale[i])))));
          const weights = alpha.map((a, i) => grads.length * a * lossScale[i]);
          return { weights, gradient: weightedCombination(grads, weights) };
        },
        scaled?.loss,
      );
    },
  };
}

/**
 * IMTL-G's alpha (sum 1) from the Gram matrix G of the task gradients: d = sum_i alpha_i g_i
 * has d . u_1 = d . u_j for every j, with u_i = g_i / |g_i|. Tasks with a zero gradient get
 * 0; when the system is singular (parallel gradients, where every combination is
 * impartial) each task gets alpha_i proportional to 1 / |g_i|.
 */
export function impartialWeights(G: Matrix): number[] {
  const T = G.length;
  const live = G.map((_, i) => i).filter((i) => G[i][i] > 0);
  const alpha = new Array<number>(T).fill(0);
  if (live.length === 0) return alpha;
  const n = live.map((i) => Math.sqrt(G[i][i]));
  // g_a . u_b over the live tasks, k-th live task = live[k].
  const gu = (a: number, b: number): number => G[live[a]][live[b]] / n[b];
  const m = live.length;
  let solved: number[];
  try {
    // Unknowns alpha_2..alpha_m (alpha_1 = 1 - their sum). For each j >= 2:
    //   d . (u_1 - u_j) = 0, with d = g_1 + sum_k alpha_k (g_k - g_1).
    const M = Array.from({ length: m - 1 }, (_, r) => Array.from({ length: m - 1 }, (_, c) => {
      const j = r + 1, k = c + 1;
      return gu(k, 0) - gu(k, j) - gu(0, 0) + gu(0, j);
    }));
    const rhs = Array.from({ length: m - 1 }, (_, r) => gu(0, r + 1) - gu(0, 0));
    const rest = solveLinear(M, rhs);
    solved = [1 - rest.reduce((a, b) => a + b, 0), ...rest];
  } catch {
    const inverse = n.map((v) => 1 / v);
    const total = inverse.reduce((a, b) => a + b, 0);
    solved = inverse.map((v) => v / total);
  }
  live.forEach((i, k) => (alpha[i] = solved[k]));
  return alpha;
}
