// Parameter groups: what the optimizer updates, and at which learning rate. The trained
// tasks' own parameters at lr, the shared ones at lr * sharedLrScale (0 freezes them, as
// when a task is added to a trained model), the weighting strategy's own (uncertainty
// log-variances) at weightingLr.
import type { Tensor } from '../tensor/tensor.js';
import { Adam, type Optimizer } from './deps.js';
import type { MultiTaskModel } from './model.js';
import type { Task } from './task.js';
import type { TrainOptions } from './train-options.js';
import type { LossWeighting } from './weighting/index.js';

export interface ParameterGroups {
  /** Task-specific, shared (absent when frozen), weighting parameters: the groups that have any. */
  groups: { params: Tensor[]; lr: number }[];
  /** Every parameter in a group. */
  all: Tensor[];
  /** The shared parameters the optimizer updates (none when frozen). */
  trainedShared: Tensor[];
  /** The shared parameters to keep out of autograd while training (all of them when frozen). */
  frozenShared: Tensor[];
}

export function parameterGroups(model: MultiTaskModel, tasks: readonly Task[], weighting: LossWeighting, options: TrainOptions): ParameterGroups {
  const lr = options.lr ?? 1e-2;
  const scale = options.sharedLrScale ?? 1;
  const shared = model.sharedParameters();
  const sharedSet = new Set(shared);
  const taskParams = new Set(tasks.flatMap((t) => model.taskParameters(t.name)));
  const trainedShared = scale > 0 ? shared : [];
  // With a task list (a task just added) only those tasks' own parameters train; without one, every parameter that is not shared.
  const own = model.parameters().filter((p) => !sharedSet.has(p) && (options.tasks ? taskParams.has(p) : true));
  const groups = [
    { params: own, lr },
    { params: trainedShared, lr: lr * scale },
    { params: weighting.parameters?.() ?? [], lr: options.weightingLr ?? lr },
  ].filter((g) => g.params.length);
  if (!groups.length) throw new Error('train: nothing to train (every parameter is frozen)');
  return { groups, all: groups.flatMap((g) => g.params), trainedShared, frozenShared: scale > 0 ? [] : shared };
}

/** options.optimizer over the groups, or Adam at options.lr. */
export function makeOptimizer(groups: ParameterGroups, options: TrainOptions): Optimizer {
  return options.optimizer ? options.optimizer(groups.groups) : new Adam(groups.groups, { lr: options.lr ?? 1e-2 });
}

/**
 * Takes `params` out of autograd (those that were in it) so no gradient is computed for a
 * frozen trunk; returns what puts them back.
 */
export function freeze(params: readonly Tensor[]): () => void {
  const frozen = params.filter((p) => p.requiresGrad);
  for (const p of frozen) p.requiresGrad = false;
  return () => {
    for (const p of frozen) p.requiresGrad = true;
  };
}
