// The multi-task trainer: joint or alternating schedules, per-task sampling and data sets,
// pluggable loss weighting, gradient-conflict sampling, early stopping, callbacks, progress.
// `train` is the loop; its parts read one at a time: the task schedule (schedule.ts), the
// batches (training-batches.ts), the parameter groups (param-groups.ts), one step
// (train-step.ts), the epoch's record (epoch-log.ts) and early stopping (early-stopping.ts).
import { tidy } from '../tensor/scope.js';
import { Generator } from '../tensor/random.js';
import { dataParallel } from '../distributed/data-parallel.js';
import { checkTrainingData } from './checks.js';
import { ConflictMonitor, conflictSteps } from './diagnostics.js';
import { EarlyStopper } from './early-stopping.js';
import { EpochLog } from './epoch-log.js';
import { evaluate } from './evaluate.js';
import type { EpochRecord, History } from './history.js';
import type { MultiTaskModel } from './model.js';
import { freeze, makeOptimizer, parameterGroups } from './param-groups.js';
import { Progress } from './progress.js';
import { scheduleKind, TaskSchedule, trainedTasks } from './schedule.js';
import { fitTargetScalers } from './targets.js';
import type { PerTaskData, TrainOptions } from './train-options.js';
import { trainStep, type StepParts } from './train-step.js';
import { isPerTask, sourceOf, TrainingBatches } from './training-batches.js';
import type { DataSource } from './types.js';
import { fixed, weightingByName } from './weighting/index.js';

export type { TrainOptions, Schedule, EarlyStopping, Callbacks, PerTaskData } from './train-options.js';
export { monitoredValue } from './early-stopping.js';

/** Trains `model` on `data` (tensors, a loader, or { perTask }) and returns the history. */
export function train(model: MultiTaskModel, data: DataSource | PerTaskData, options: TrainOptions = {}): History {
  const run = prepare(model, data, options);
  const { history, progress, stopper } = run;
  const unfreeze = freeze(run.parts.params.frozenShared);
  model.train();
  try {
    for (let epoch = 0; epoch < run.epochs; epoch++) {
      options.callbacks?.onEpochBegin?.(epoch);
      const rec = trainEpoch(run, epoch);
      history.epochs.push(rec);
      progress.endEpoch(rec);
      options.callbacks?.onEpochEnd?.(rec, history);
      if (stopper?.shouldStop(rec, model)) {
        history.stoppedEarly = true;
        break;
      }
    }
  } finally {
    progress.stop();
    unfreeze();
  }
  history.best = stopper?.restoreBest(model) ?? null;
  options.callbacks?.onTrainEnd?.(history);
  return history;
}

/** A training run: its parts, fixed at the start, and the step counter. */
interface Run {
  options: TrainOptions;
  epochs: number;
  names: string[];
  schedule: TaskSchedule;
  batches: TrainingBatches;
  parts: StepParts;
  stopper: EarlyStopper | null;
  history: History;
  progress: Progress;
  step: number;
}

/**
 * Everything a run needs, in an order that matters: options checked, the weighting told the
 * tasks, the data checked and target scalers fitted before the batches are drawn, then
 * parameter groups and the optimizer.
 */
function prepare(model: MultiTaskModel, data: DataSource | PerTaskData, options: TrainOptions): Run {
  const kind = scheduleKind(options.schedule);
  const tasks = trainedTasks(model, options.tasks);
  const names = tasks.map((t) => t.name);
  const schedule = new TaskSchedule(kind, names, options.samplingRatios, isPerTask(data));
  const weighting = typeof options.weighting === 'string' ? weightingByName(options.weighting) : options.weighting ?? fixed();
  weighting.init?.(model.tasks.map((t) => t.name));
  const generator = new Generator(options.seed ?? 0);
  const dp = dataParallel(options.distributed);

  checkTrainingData(model.tasks, tasks, data, isPerTask(data));
  // Regression tasks declared without a target scaler get one fitted on their training labels.
  fitTargetScalers(tasks, (t) => sourceOf(data, t.name));
  const batches = new TrainingBatches(data, names, options.batchSize ?? 128, generator, {
    shuffle: options.shuffle,
    resample: options.resample,
    shard: dp ? (loader) => dp.shard(loader, true) : undefined,
  });

  const params = parameterGroups(model, tasks, weighting, options);
  // Every rank starts from rank 0's weights (and the weighting's own parameters).
  dp?.broadcastFrom0([...Object.values(model.stateDict()), ...params.all]);
  const parts: StepParts = {
    model,
    tasks: new Map(tasks.map((t) => [t.name, t])),
    weighting,
    optimizer: makeOptimizer(params, options),
    params,
    conflicts: new ConflictMonitor(),
    samplesConflicts: conflictSteps(options.conflictEvery, options.conflictWarmup),
    dataParallel: dp,
  };
  // Only rank 0 shows progress.
  const progressOption = dp && dp.rank > 0 ? false : options.verbose === undefined ? options.progress ?? 'auto' : ([false, true, 'lines'] as const)[options.verbose];
  return {
    options,
    epochs: options.epochs ?? 10,
    names,
    schedule,
    batches,
    parts,
    stopper: options.earlyStopping ? new EarlyStopper(options.earlyStopping, names) : null,
    history: { architecture: model.architecture, weighting: weighting.name, schedule: kind, tasks: names, epochs: [], steps: [], best: null, stoppedEarly: false },
    progress: new Progress(progressOption, names),
    step: 0,
  };
}

/** One pass over the epoch's batches, a step each; returns the epoch's record. */
function trainEpoch(run: Run, epoch: number): EpochRecord {
  const { parts, options, history, progress } = run;
  const logEvery = options.logStepsEvery ?? 1;
  parts.model.resetGateUsage();
  parts.conflicts.reset();
  const log = new EpochLog(epoch);
  const numSteps = run.batches.startEpoch(epoch);
  progress.startEpoch(epoch, run.epochs, numSteps);
  for (let s = 0; s < numSteps; s++, run.step++) {
    const step = run.step;
    const active = run.schedule.activeTasks(epoch);
    const result = tidy(() => {
      const batch = run.batches.next(active);
      log.addBatch(batch.size);
      return trainStep(parts, batch, active, step, epoch);
    });
    if (!result) continue;
    const { penalty, ...record } = result;
    log.addStep(record, penalty);
    if (logEvery > 0 && step % logEvery === 0) history.steps.push(record);
    options.callbacks?.onBatchEnd?.(record);
    progress.update(s + 1, log.samples, log.seconds, record.losses);
  }
  parts.optimizer.zeroGrad();
  return endEpoch(run, log);
}

/** The epoch's record: its steps summed up, the weighting told the mean losses, then validation. */
function endEpoch(run: Run, log: EpochLog): EpochRecord {
  const { model, optimizer, weighting, conflicts } = run.parts;
  const rec = log.record({ lr: optimizer.paramGroups.map((g) => g.lr), gateUsage: model.gateUsage(), gradientCosines: conflicts.summary() });
  // Every rank's weighting and early stopping must see the same losses: their mean over the ranks.
  if (run.parts.dataParallel) rec.loss = run.parts.dataParallel.meanOverRanks(rec.loss, run.names);
  weighting.epochEnd?.(rec.loss);
  if (run.options.validation) {
    const extraMetrics = run.stopper?.metric === 'score' ? ['score'] : [];
    rec.validation = evaluate(model, run.options.validation, { batchSize: Math.max(run.options.batchSize ?? 128, 512), tasks: run.names, extraMetrics, dataParallel: run.parts.dataParallel });
  }
  return rec;
}
