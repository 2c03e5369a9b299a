// Loss weighting: one interface, many strategies. A strategy sees every active task's loss
// (and, on demand, each task's gradient on the shared parameters) and returns the loss to
// back-propagate plus the effective weight of each task, which the trainer logs each step.
import type { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/creation.js';
import { keep } from '../tensor/scope.js';
import { add, exp, mul, neg } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';

export interface WeightingContext {
  /** The tasks that have a loss this step, in order (alternating training may leave some out). */
  readonly tasks: readonly string[];
  /** Their scalar losses, attached to the graph. */
  readonly losses: readonly Tensor[];
  /** The same losses as numbers. */
  readonly lossValues: readonly number[];
  /** The weights the tasks were declared with (TaskSpec.weight, default 1). */
  readonly taskWeights: readonly number[];
  readonly step: number;
  readonly epoch: number;
  readonly sharedParameters: readonly Tensor[];
  /**
   * Each task's gradient on the shared parameters, flattened in sharedParameters order
   * (a backward per task with retainGraph; computed once per step and cached).
   */
  taskGradients(): Float32Array[];
}

export interface WeightingResult {
  /** The scalar to back-propagate. */
  loss: Tensor;
  /** Effective weight per task (same order as ctx.tasks). */
  weights: number[];
  /** When set, replaces the gradient of the shared parameters after backward (gradient surgery). */
  sharedGradient?: Float32Array;
}

export interface LossWeighting {
  readonly name: string;
  /** Called once with every task name before training (and again when a task is added). */
  init?(tasks: readonly string[]): void;
  /** Learnable tensors the trainer optimises along with the model (uncertainty log-variances). */
  parameters?(): Tensor[];
  combine(ctx: WeightingContext): WeightingResult;
  /** Mean training loss per task over the epoch that just ended. */
  epochEnd?(meanLosses: Record<string, number>): void;
}

/** sum_i w_i L_i for number or tensor weights. */
export function weightedSum(losses: readonly Tensor[], weights: readonly (number | Tensor)[]): Tensor {
  if (!losses.length) throw new Error('weightedSum: no losses');
  if (losses.length !== weights.length) throw new Error(`weightedSum: ${losses.length} losses but ${weights.length} weights`);
  let total: Tensor | null = null;
  losses.forEach((l, i) => {
    const term = mul(l, weights[i]);
    total = total ? add(total, term) : term;
  });
  return total!;
}

/** L = sum_i w_i L_i with the given weights (by task name), else each task's declared weight. */
export function fixed(weights?: Record<string, number>): LossWeighting {
  return {
    name: 'fixed',
    combine(ctx) {
      const w = ctx.tasks.map((t, i) => weights?.[t] ?? ctx.taskWeights[i]);
      return { loss: weightedSum(ctx.losses, w), weights: w };
    },
  };
}

/** L = sum_i L_i (every weight 1). */
export function equal(): LossWeighting {
  return { name: 'equal', combine: (ctx) => ({ loss: weightedSum(ctx.losses, ctx.losses.map(() => 1)), weights: ctx.losses.map(() => 1) }) };
}

/** L = mean_i L_i. */
export function mean(): LossWeighting {
  return {
    name: 'mean',
    combine(ctx) {
      const w = ctx.losses.map(() => 1 / ctx.losses.length);
      return { loss: weightedSum(ctx.losses, w), weights: w };
    },
  };
}

/** L = max_i L_i (only the worst task gets a gradient this step). */
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

/**
 * Uncertainty weighting (Kendall et al. 2018): a learnable log-variance s_i per task,
 * L = sum_i exp(-s_i) L_i + s_i. The optimum is s_i = log L_i, i.e. weight 1 / L_i.
 */
export function uncertainty(options: { initialLogVariance?: number } = {}): LossWeighting & { logVariances(): Record<string, number> } {
  const logVar = new Map<string, Tensor>();
  const s0 = options.initialLogVariance ?? 0;
  return {
    name: 'uncertainty',
    init(tasks) {
      for (const t of tasks) {
        if (logVar.has(t)) continue;
        const s = keep(zeros([1]).add(s0));
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

/** sum_i a_i b_i and sqrt(sum a_i^2) over flat gradients. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
export const norm = (a: Float32Array): number => Math.sqrt(dot(a, a));

/**
 * GradNorm (Chen et al. 2018): weights w_i move so that each task's weighted gradient norm
 * on the shared parameters ||w_i g_i|| tracks mean_j ||w_j g_j|| * r_i^alpha, where r_i is
 * the task's relative inverse training rate (L_i / L_i(0), over its mean). The target is a
 * constant, so d|w_i G_i - target_i| / dw_i = sign(.) G_i and no second-order gradient is
 * needed. Weights stay positive and sum to the number of tasks.
 */
export function gradNorm(options: { alpha?: number; lr?: number } = {}): LossWeighting & { weightsByTask(): Record<string, number> } {
  const alpha = options.alpha ?? 1.5;
  const lr = options.lr ?? 0.05;
  const w = new Map<string, number>();
  const initial = new Map<string, number>();
  return {
    name: 'gradnorm',
    init(tasks) {
      for (const t of tasks) if (!w.has(t)) w.set(t, 1);
    },
    combine(ctx) {
      const T = ctx.tasks.length;
      for (const [i, t] of ctx.tasks.entries()) if (!initial.has(t)) initial.set(t, Math.max(ctx.lossValues[i], 1e-12));
      if (T > 1 && ctx.sharedParameters.length) {
        const G = ctx.taskGradients().map(norm);
        const cur = ctx.tasks.map((t) => w.get(t) ?? 1);
        const meanWG = G.reduce((s, g, i) => s + cur[i] * g, 0) / T;
        const meanG = G.reduce((a, b) => a + b, 0) / T || 1;
        const ratio = ctx.tasks.map((t, i) => ctx.lossValues[i] / initial.get(t)!);
        const meanRatio = ratio.reduce((a, b) => a + b, 0) / T || 1;
        const next = cur.map((wi, i) => {
          const target = meanWG * Math.pow(ratio[i] / meanRatio, alpha);
          return Math.max(1e-3, wi - (lr * Math.sign(wi * G[i] - target) * G[i]) / meanG);
        });
        const scale = T / next.reduce((a, b) => a + b, 0);
        ctx.tasks.forEach((t, i) => w.set(t, next[i] * scale));
      }
      const weights = ctx.tasks.map((t) => w.get(t) ?? 1);
      return { loss: weightedSum(ctx.losses, weights), weights };
    },
    weightsByTask: () => Object.fromEntries(w),
  };
}

/**
 * Dynamic Weight Average (Liu et al. 2019): w_i = K softmax_i(r_i / temperature) with
 * r_i = L_i(e-1) / L_i(e-2) from the mean training losses of the last two epochs (1 before).
 */
export function dwa(options: { temperature?: number } = {}): LossWeighting {
  const temperature = options.temperature ?? 2;
  const past: Record<string, number>[] = [];
  let w = new Map<string, number>();
  return {
    name: 'dwa',
    combine(ctx) {
      const weights = ctx.tasks.map((t) => w.get(t) ?? 1);
      return { loss: weightedSum(ctx.losses, weights), weights };
    },
    epochEnd(meanLosses) {
      past.push({ ...meanLosses });
      if (past.length < 2) return;
      const [a, b] = past.slice(-2);
      const tasks = Object.keys(b).filter((t) => t in a && a[t] > 0);
      const r = tasks.map((t) => b[t] / a[t] / temperature);
      const m = Math.max(...r);
      const e = r.map((x) => Math.exp(x - m));
      const s = e.reduce((x, y) => x + y, 0);
      w = new Map(tasks.map((t, i) => [t, (tasks.length * e[i]) / s]));
    },
  };
}

/**
 * PCGrad (Yu et al. 2020): each task's gradient on the shared parameters is projected onto
 * the normal plane of every other task gradient it conflicts with (negative dot product),
 * in a random order; the projected gradients are summed. Task-specific parameters get the
 * plain weighted-sum gradient.
 */
export function pcgrad(options: { seed?: number } = {}): LossWeighting {
  let state = (options.seed ?? 1) >>> 0 || 1;
  const random = (): number => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return {
    name: 'pcgrad',
    combine(ctx) {
      const weights = ctx.taskWeights.slice();
      const loss = weightedSum(ctx.losses, weights);
      if (ctx.tasks.length < 2 || !ctx.sharedParameters.length) return { loss, weights };
      const g = ctx.taskGradients().map((gi, i) => (weights[i] === 1 ? gi : gi.map((v) => v * weights[i])));
      return { loss, weights, sharedGradient: projectConflicting(g, random) };
    },
  };
}

/** The PCGrad merge of flat task gradients (exported for tests and custom strategies). */
export function projectConflicting(grads: readonly Float32Array[], random: () => number = Math.random): Float32Array {
  const n = grads[0]?.length ?? 0;
  const merged = new Float32Array(n);
  const sq = grads.map((g) => dot(g, g));
  for (let i = 0; i < grads.length; i++) {
    const gi = Float32Array.from(grads[i]);
    const order = grads.map((_, j) => j).filter((j) => j !== i);
    for (let k = order.length - 1; k > 0; k--) {
      const r = Math.floor(random() * (k + 1));
      [order[k], order[r]] = [order[r], order[k]];
    }
    for (const j of order) {
      const d = dot(gi, grads[j]);
      if (d < 0 && sq[j] > 0) {
        const c = d / sq[j];
        for (let e = 0; e < n; e++) gi[e] -= c * grads[j][e];
      }
    }
    for (let e = 0; e < n; e++) merged[e] += gi[e];
  }
  return merged;
}

const BUILT_IN: Record<string, () => LossWeighting> = { fixed, equal, mean, max, uncertainty, gradnorm: gradNorm, dwa, pcgrad };

/** A built-in strategy by name: fixed, equal, mean, max, uncertainty, gradnorm, dwa, pcgrad. */
export function weightingByName(name: string): LossWeighting {
  const make = BUILT_IN[name.toLowerCase()];
  if (!make) throw new Error(`weighting: unknown strategy '${name}' (known: ${Object.keys(BUILT_IN).join(', ')})`);
  return make();
}
