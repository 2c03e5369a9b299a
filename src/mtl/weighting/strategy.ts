// Loss weighting: one interface, many strategies (one file each beside this one). A strategy
// sees every active task's loss (and, on demand, each task's gradient on the shared
// parameters) and returns the loss to back-propagate plus the effective weight of each
// task, which the trainer logs each step.
import type { Tensor } from '../../tensor/tensor.js';
import { add, mul } from '../../ops/elementwise.js';

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
