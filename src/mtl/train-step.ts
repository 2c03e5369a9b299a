// One training step: forward the batch, each active task's masked loss, the weighting's
// combined loss (plus the model's penalty), backward, any gradient surgery written back
// onto the shared parameters, the optimizer step; returns the step's record.
import type { Tensor } from '../tensor/tensor.js';
import type { DataParallel } from '../distributed/data-parallel.js';
import { add, mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import type { Optimizer } from './deps.js';
import type { ConflictMonitor } from './diagnostics.js';
import { setSharedGradient, taskGradients } from './gradients.js';
import type { StepRecord } from './history.js';
import type { MultiTaskModel } from './model.js';
import type { ParameterGroups } from './param-groups.js';
import type { Task } from './task.js';
import type { Batch } from './types.js';
import type { LossWeighting, WeightingContext } from './weighting/index.js';
import { backward } from '../autograd/engine.js';

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
  /** Each task's labelled rows in the batch (its loss is their mean). */
  counts: number[];
}

/** The masked loss of each active task that has labelled rows in the batch. */
function taskLosses(parts: StepParts, batch: Batch, outputs: Record<string, Tensor>, active: readonly string[]): TaskLosses {
  const result: TaskLosses = { tasks: [], losses: [], declaredWeights: [], counts: [] };
  for (const n of active) {
    const task = parts.tasks.get(n)!;
    const label = task.labelOf(batch);
    if (!label) continue;
    const out = outputs[n];
    if (!out) throw new Error(`train: the model produced no output for task '${n}'`);
    const prepared = task.prepare(label, batch, parts.model.probabilityOutputs.has(n));
    if (prepared.count === 0) continue; // nothing labelled for this task in the batch
    result.tasks.push(n);
    result.losses.push(task.computeLoss(out, prepared, parts.model.probabilityOutputs.has(n)));
    result.declaredWeights.push(task.weight);
    result.counts.push(prepared.count);
  }
  return result;
}

/** Trains on `batch` for the `active` tasks; null when none of them has a labelled row in it (in any rank's batch, distributed). */
export function trainStep(parts: StepParts, batch: Batch, active: readonly string[], step: number, epoch: number): StepResult | null {
  const { model, weighting, optimizer } = parts;
  optimizer.zeroGrad();
  const outputs = model.forward(batch.inputs);
  const local = taskLosses(parts, batch, outputs, active);
  const localValues = local.losses.map((l) => l.item());
  for (const [i, v] of localValues.entries())
    if (!Number.isFinite(v)) throw new Error(`train: task '${local.tasks[i]}' loss is ${v} at step ${step} (epoch ${epoch}); lower the learning rate or check the labels`);
  const agreed = parts.dataParallel ? acrossRanks(parts.dataParallel, parts, local, localValues, outputs, active) : { ...local, lossValues: localValues, reduce: null };
  const { tasks, losses, declaredWeights, lossValues } = agreed;
  if (!losses.length) return null;

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
    taskGradients: () => {
      if (cached) return cached;
      const grads = taskGradients(losses, shared, [...parts.params.all, ...model.parameters()]);
      return (cached = agreed.reduce ? agreed.reduce(grads) : grads);
    },
  };
  if (parts.samplesConflicts(step) && tasks.length > 1 && shared.length) parts.conflicts.record(tasks, ctx.taskGradients());

  const result = weighting.combine(ctx);
  if (result.weights.length !== tasks.length)
    throw new Error(`train: weighting '${weighting.name}' returned ${result.weights.length} weights for ${tasks.length} tasks`);
  const penalty = model.penalty();
  const total = penalty ? add(result.loss, penalty) : result.loss;
  backward(total);
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
 * The step as every rank must see it under data parallelism, so that a weighting takes the
 * same decision everywhere and the one a single process would take on all the ranks'
 * rows together: the tasks labelled in any rank's batch (a task with no labelled row here
 * gets a zero loss on the graph, so this rank still joins the backward and the averages),
 * each task's loss as the mean over every rank's labelled rows, and each task's gradient
 * on the shared parameters as the labelled-row-weighted mean of the ranks' gradients (one
 * all-reduce of all of them, when the weighting asks for them): for a loss that is a mean
 * over labelled rows, exactly the gradient of the global batch's loss.
 */
function acrossRanks(dp: DataParallel, parts: StepParts, local: TaskLosses, localValues: readonly number[], outputs: Record<string, Tensor>, active: readonly string[]) {
  const n = active.length;
  const mine = new Float64Array(2 * n);
  local.tasks.forEach((t, i) => {
    const k = active.indexOf(t);
    mine[k] = local.counts[i];
    mine[n + k] = local.counts[i] * localValues[i];
  });
  const totals = dp.sum(mine);
  const tasks: string[] = [], losses: Tensor[] = [], declaredWeights: number[] = [], lossValues: number[] = [], scale: number[] = [];
  active.forEach((t, k) => {
    if (!(totals[k] > 0)) return;
    const i = local.tasks.indexOf(t);
    if (i < 0 && !outputs[t]) throw new Error(`train: the model produced no output for task '${t}'`);
    tasks.push(t);
    losses.push(i >= 0 ? local.losses[i] : mul(sum(outputs[t]), 0));
    declaredWeights.push(parts.tasks.get(t)!.weight);
    lossValues.push(totals[n + k] / totals[k]);
    scale.push(i >= 0 ? local.counts[i] / totals[k] : 0);
  });
  const reduce = (grads: Float32Array[]): Float32Array[] => {
    const len = grads[0]?.length ?? 0;
    const flat = new Float32Array(len * grads.length);
    grads.forEach((g, i) => {
      for (let j = 0; j < len; j++) flat[i * len + j] = g[j] * scale[i];
    });
    dp.allReduceSum(flat);
    return grads.map((_, i) => flat.slice(i * len, (i + 1) * len));
  };
  return { tasks, losses, declaredWeights, lossValues, reduce };
}
