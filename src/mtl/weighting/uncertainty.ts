// Uncertainty weighting: Kendall, Gal and Cipolla, "Multi-Task Learning Using Uncertainty to
// Weigh Losses for Scene Geometry and Semantics" (CVPR 2018). Each task gets a learnable
// log-variance s_i and L = sum_i exp(-s_i) L_i + s_i; the optimum is s_i = log L_i, i.e.
// weight 1 / L_i, so a task on a large scale is down-weighted by its own loss.
// Hyper-parameters: `initialLogVariance` (s_i at the start, default 0: weight 1); the
// log-variances learn at the trainer's `weightingLr` (default its lr).
import type { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/creation.js';
import { keep } from '../../tensor/scope.js';
import { add, exp, mul, neg } from '../../ops/elementwise.js';
import { sum } from '../../ops/reduce.js';
import type { LossWeighting } from './strategy.js';

/** Learnable log-variances per task; the logged weight of a task is exp(-s_i). */
export function uncertainty(options: { initialLogVariance?: number } = {}): LossWeighting & { logVariances(): Record<string, number> } {
  const logVar = new Map<string, Tensor>();
  const s0 = options.initialLogVariance ?? 0;
  return {
    name: 'uncertainty',
    init(tasks) {
      for (const t of tasks) {
        if (logVar.has(t)) continue;
        const s = keep(add(zeros([1]), s0));
        s.requiresGrad = true;
        s.name = `logVariance.${t}`;
        logVar.set(t, s);
      }
    },
    parameters: () => [...logVar.values()],
    combine(ctx) {
      const s = ctx.tasks.map((t) => {
        const v = logVar.get(t);
        if (!v) throw new Error(`uncertainty: task '${t}' was not passed to init()`);
        return v;
      });
      return { loss: uncertaintyLoss(ctx.losses, s), weights: s.map((v) => Math.exp(-v.item())) };
    },
    logVariances: () => Object.fromEntries([...logVar].map(([t, s]) => [t, s.item()])),
  };
}

/** Kendall et al.'s objective: sum_i exp(-s_i) L_i + s_i for scalar losses L_i and log-variances s_i ([1] or []). */
export function uncertaintyLoss(losses: readonly Tensor[], logVariances: readonly Tensor[]): Tensor {
  if (losses.length !== logVariances.length) throw new Error(`uncertaintyLoss: ${losses.length} losses but ${logVariances.length} log-variances`);
  let total: Tensor | null = null;
  losses.forEach((l, i) => {
    const term = add(mul(exp(neg(logVariances[i])), l), logVariances[i]);
    total = total ? add(total, term) : term;
  });
  return sum(total!);
}
