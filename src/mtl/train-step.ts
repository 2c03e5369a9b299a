// One training step: forward the batch, each active task's masked loss, the weighting's
// combined loss (plus the model's penalty), backward, any gradient surgery written back
// onto the shared parameters, the optimizer step; returns the step's record.
import type { Tensor } from '../tensor/tensor.js';
import type { DataParallel } from '../distributed/data-parallel.js';
import { add } from '../ops/elementwise.js';
import type { Optimizer } from './deps.js';
import type { ConflictMonitor } from './diagnostics.js';
import { setSharedGradient, taskGradients } from './gradients.js';
import type { StepRecord } from './history.js';
import type { MultiTaskModel } from './model.js';
import type { ParameterGroups } from './param-groups.js';
import type { Task } from './task.js';
import type { Batch } from './types.js';
import type { LossWeighting, WeightingContext } from './weighting/index.js';

/** What every step works with, fixed for a training run. */
export interface StepParts {
  model: MultiTaskModel;
  /** The trained tasks by name. */
  tasks: ReadonlyMap<string, Task>;
  weighting: LossWeighting;
  optimizer: Optimizer;
  params: ParameterGroups;
  conflicts: ConflictMonitor;
  /** Whether a step samples the task gradients for the conflict monitor. */
  samplesConflicts: (step: number) => boolean;
  /** Distributed training's gradient averaging; null in one process. */
  dataParallel: DataParallel | null;
}

/** The step's record, and the model's penalty (which the epoch averages but the step log leaves out). */
export type StepResult = StepRecord & { penalty: number };

interface TaskLosses {
  tasks: string[];
  losses: Tensor[];
  declaredWeights: number[];
}

/** The masked loss of each active task that has labelled rows in the batch. */
function taskLosses(parts: StepParts, batch: Batch, outputs: Record<string, Tensor>, active: readonly string[]): TaskLosses {
  const result: TaskLosses = { tasks: [], losses: [], declaredWeights: [] };
  for (const n of active) {
    const task = parts.tasks.get(n)!;
    const label = task.labelOf(batch);
    if (!label) continue;
    const out = outputs[n];
    if (!out) throw new Error(`train: the model produced no output for task '${n}'`);
    const prepared = task.prepare(label);
    if (prepared.count === 0) continue; // nothing labelled for this task in the batch
    result.tasks.push(n);
    result.losses.push(task.computeLoss(out, prepared, parts.model.probabilityOutputs.has(n)));
    result.declaredWeights.push(task.weight);
  }
  return result;
}

/** Trains on `batch` for the `active` tasks; null when none of them has a labelled row in it. */
export function trainStep(parts: StepParts, batch: Batch, active: readonly string[], step: number, epoch: number): StepResult | null {
  const { model, weighting, optimizer } = parts;
  optimizer.zeroGrad();
  const { tasks, losses, declaredWeights } = taskLosses(parts, batch, model.forward(batch.inputs), active);
  if (!losses.length) {
    // Under data parallelism the other ranks' rows may carry labels: this rank still joins
    // the gradient average (with zeros) and the step.
    if (parts.dataParallel?.averageGradients(parts.params.all)) optimizer.step();
    return null;
  }
  const lossValues = losses.map((l) => l.item());
  for (const [i, v] of lossValues.entries())
    if (!Number.isFinite(v)) throw new Error(`train: task '${tasks[i]}' loss is ${v} at step ${step} (epoch ${epoch}); lower the learning rate or check the labels`);

  const shared = parts.params.trainedShared.filter((p) => p.requiresGrad);
  let cached: Float32Array[] | null = null;
  const ctx: WeightingContext = {
    tasks,
    losses,
    lossValues,
    taskWeights: declaredWeights,
    step,
    epoch,
    sharedParameters: shared,
    taskGradients: () => (cached ??= taskGradients(losses, shared, [...parts.params.all, ...model.parameters()])),
  };
  if (parts.samplesConflicts(step) && tasks.length > 1 && shared.length) parts.conflicts.record(tasks, ctx.taskGradients());

  const result = weighting.combine(parts.dataParallel ? withoutTaskGradients(ctx, weighting.name) : ctx);
  if (result.weights.length !== tasks.length)
    throw new Error(`train: weighting '${weighting.name}' returned ${result.weights.length} weights for ${tasks.length} tasks`);
  const penalty = model.penalty();
  const total = penalty ? add(result.loss, penalty) : result.loss;
  total.backward();
  if (result.sharedGradient) setSharedGradient(shared, result.sharedGradient);
  parts.dataParallel?.averageGradients(parts.params.all);
  optimizer.step();
  return {
    step,
    epoch,
    tasks,
    losses: Object.fromEntries(tasks.map((n, i) => [n, lossValues[i]])),
    weights: Object.fromEntries(tasks.map((n, i) => [n, result.weights[i]])),
    total: total.item(),
    penalty: penalty ? penalty.item() : 0,
  };
}

/**
 * The weighting's view under data parallelism: per-task gradients are this rank's alone,
 * and a strategy that steers the step by them (PCGrad, GradNorm, ...) would steer each rank
 * differently, so it is refused rather than silently approximated.
 */
function withoutTaskGradients(ctx: WeightingContext, name: string): WeightingContext {
  return {
    ...ctx,
    taskGradients: () => {
      throw new Error(`train: weighting '${name}' needs per-task gradients, which distributed training does not support yet; use a loss-based weighting (fixed, uncertainty, dwa, ...) with distributed: true`);
    },
  };
}
