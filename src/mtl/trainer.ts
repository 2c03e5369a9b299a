// The multi-task trainer: joint or alternating schedules, per-task sampling and data sets,
// pluggable loss weighting, gradient-conflict sampling, early stopping, callbacks, progress.
import { Tensor } from '../tensor/tensor.js';
import { keep, tidy } from '../tensor/scope.js';
import { add } from '../ops/elementwise.js';
import { metricDirection } from '../metrics/gain.js';
import { Adam, type Optimizer } from './deps.js';
import { Generator } from '../tensor/random.js';
import { asLoader, Cycler, type Resampling } from './data.js';
import { ConflictMonitor } from './diagnostics.js';
import { evaluate } from './evaluate.js';
import type { EpochRecord, EvaluationResult, History, StepRecord } from './history.js';
import type { MultiTaskModel } from './model.js';
import { Progress, type ProgressOption } from './progress.js';
import type { Task } from './task.js';
import type { DataLoader, DataSource } from './types.js';
import { fixed, weightingByName, type LossWeighting, type WeightingContext } from './weighting/index.js';
import { setSharedGradient, taskGradients } from './gradients.js';
import { fitTargetScalers } from './targets.js';
import { checkTrainingData } from './checks.js';

/** Separate data sets per task, for tasks that do not share rows. */
export interface PerTaskData {
  perTask: Record<string, DataSource>;
}

export type Schedule = 'joint' | 'alternate-batch' | 'alternate-epoch';

export interface EarlyStopping {
  /** A task name, or 'mean' over the trained tasks (default 'mean'). */
  monitor?: string;
  /**
   * 'loss' (default), 'score' (every task on one higher-is-better scale: AUC, accuracy,
   * 1 - RMSE/std; what the CLI uses), or a metric name of the monitored task(s).
   */
  metric?: string;
  /** Epochs without improvement before stopping (default 3). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Default: 'min' for losses and error metrics, 'max' otherwise. */
  mode?: 'min' | 'max';
}

export interface Callbacks {
  onEpochBegin?(epoch: number): void;
  onBatchEnd?(step: StepRecord): void;
  onEpochEnd?(record: EpochRecord, history: History): void;
  onTrainEnd?(history: History): void;
}

export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  /** Learning rate of the default Adam optimizer (default 1e-2). */
  lr?: number;
  /** Builds the optimizer from param groups (default Adam). */
  optimizer?: (groups: { params: Tensor[]; lr: number }[]) => Optimizer;
  /** A strategy, or a built-in's name; default fixed (each task's declared weight). */
  weighting?: LossWeighting | string;
  schedule?: Schedule;
  /** Relative frequency of each task under alternating schedules and per-task data (default equal). */
  samplingRatios?: Record<string, number>;
  /** Over/under-sampling of binary tasks' rows (tensor data): { task: { positive: 3 } }. */
  resample?: Record<string, Resampling>;
  /** Train only these tasks (e.g. a task just added); default all. */
  tasks?: string[];
  /** Learning rate of the weighting strategy's own parameters (uncertainty log-variances); default lr. */
  weightingLr?: number;
  /** Learning-rate multiplier for the shared parameters; 0 freezes them (default 1). */
  sharedLrScale?: number;
  validation?: DataSource;
  earlyStopping?: EarlyStopping;
  /** Sample the task gradients' cosines and norm ratios every n-th step (default 10; 0 = never). */
  conflictEvery?: number;
  /** Also sample every one of the first n steps, so small data sets get a stable estimate (default 50). */
  conflictWarmup?: number;
  callbacks?: Callbacks;
  /** 'auto' (default): a bar on a terminal, silent otherwise; true: a bar on a terminal, one line per epoch otherwise; 'lines'; false: silent. */
  progress?: ProgressOption;
  /** As in tfjs's fit: 0 silent, 1 progress as with `progress: true`, 2 one line per epoch. Overrides `progress`. */
  verbose?: 0 | 1 | 2;
  shuffle?: boolean;
  /** Seed of the batch order and sampling (default 0). */
  seed?: number;
  /** Keep every n-th step in history.steps (default 1; 0 = none). */
  logStepsEvery?: number;
}

/** Smooth weighted round-robin: deterministic, proportional task turns. */
class TaskPicker {
  private readonly credit: number[];
  constructor(private readonly names: string[], private readonly ratios: number[]) {
    this.credit = names.map(() => 0);
  }
  next(): string {
    const total = this.ratios.reduce((a, b) => a + b, 0);
    let best = 0;
    for (let i = 0; i < this.names.length; i++) {
      this.credit[i] += this.ratios[i];
      if (this.credit[i] > this.credit[best]) best = i;
    }
    this.credit[best] -= total;
    return this.names[best];
  }
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Trains `model` on `data` (tensors, a loader, or { perTask }) and returns the history. */
export function train(model: MultiTaskModel, data: DataSource | PerTaskData, options: TrainOptions = {}): History {
  const epochs = options.epochs ?? 10;
  const batchSize = options.batchSize ?? 128;
  const schedule = options.schedule ?? 'joint';
  if (!['joint', 'alternate-batch', 'alternate-epoch'].includes(schedule))
    throw new Error(`train: schedule '${schedule}' is not joint, alternate-batch or alternate-epoch`);
  const tasks: Task[] = options.tasks
    ? options.tasks.map((n) => {
        const t = model.tasks.find((x) => x.name === n);
        if (!t) throw new Error(`train: unknown task '${n}' (model tasks: ${model.tasks.map((x) => x.name).join(', ')})`);
        return t;
      })
    : model.tasks.slice();
  const names = tasks.map((t) => t.name);
  const ratios = names.map((n) => options.samplingRatios?.[n] ?? 1);
  for (const [n, r] of Object.entries(options.samplingRatios ?? {}))
    if (!names.includes(n) || !(r >= 0)) throw new Error(`train: samplingRatios.${n} must name a trained task and be >= 0`);
  const weighting = typeof options.weighting === 'string' ? weightingByName(options.weighting) : options.weighting ?? fixed();
  weighting.init?.(model.tasks.map((t) => t.name));
  const rng = new Generator(options.seed ?? 0);

  // Data: one loader, or one per task.
  const perTask = (data as PerTaskData).perTask;
  checkTrainingData(model.tasks, tasks, data, Boolean(perTask));
  // Regression tasks declared without a target scaler get one fitted on their training labels.
  fitTargetScalers(tasks, (t) => (perTask ? perTask[t.name] : (data as DataSource)));
  const loaders: Map<string, DataLoader> = new Map();
  let mainLoader: DataLoader | null = null;
  if (perTask) {
    for (const n of names) {
      if (!perTask[n]) throw new Error(`train: perTask data has no entry for task '${n}'`);
      loaders.set(n, asLoader(perTask[n], batchSize, rng, { shuffle: options.shuffle, resample: options.resample?.[n] ? { [n]: options.resample[n] } : undefined }));
    }
  } else mainLoader = asLoader(data as DataSource, batchSize, rng, { shuffle: options.shuffle, resample: options.resample });

  // Parameters: shared ones may get a scaled learning rate (0 = frozen).
  const lr = options.lr ?? 1e-2;
  const scale = options.sharedLrScale ?? 1;
  const sharedAll = model.sharedParameters();
  const sharedSet = new Set(sharedAll);
  const taskParams = new Set(tasks.flatMap((t) => model.taskParameters(t.name)));
  const trainedShared = scale > 0 ? sharedAll : [];
  const own = model.parameters().filter((p) => !sharedSet.has(p) && (options.tasks ? taskParams.has(p) : true));
  const extra = weighting.parameters?.() ?? [];
  const groups = [
    { params: own, lr },
    { params: trainedShared, lr: lr * scale },
    { params: extra, lr: options.weightingLr ?? lr },
  ].filter((g) => g.params.length);
  if (!groups.length) throw new Error('train: nothing to train (every parameter is frozen)');
  const optimizer = options.optimizer ? options.optimizer(groups) : new Adam(groups, { lr });
  const allParams = groups.flatMap((g) => g.params);
  const frozenShared = scale > 0 ? [] : sharedAll.filter((p) => p.requiresGrad);
  for (const p of frozenShared) p.requiresGrad = false;

  const conflictEvery = options.conflictEvery ?? 10;
  const conflictWarmup = conflictEvery > 0 ? options.conflictWarmup ?? 50 : 0;
  const logEvery = options.logStepsEvery ?? 1;
  const monitor = new ConflictMonitor();
  const history: History = { architecture: model.architecture, weighting: weighting.name, schedule, tasks: names, epochs: [], steps: [], best: null, stoppedEarly: false };
  const progress = new Progress(options.verbose === undefined ? options.progress ?? 'auto' : ([false, true, 'lines'] as const)[options.verbose], names);
  const es = options.earlyStopping;
  const esMetric = es?.metric ?? 'loss';
  const esMonitor = es?.monitor ?? 'mean';
  const esMode = es?.mode ?? (esMetric === 'loss' || metricDirection(esMetric) === 'lower' ? 'min' : 'max');
  let best: { value: number; epoch: number; state: Record<string, Tensor> } | null = null;
  let sinceBest = 0;
  let step = 0;
  const picker = new TaskPicker(names, ratios);
  const cyclers = new Map([...loaders].map(([n, l]) => [n, new Cycler(l)]));

  model.train();
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      options.callbacks?.onEpochBegin?.(epoch);
      model.resetGateUsage();
      monitor.reset();
      const t0 = performance.now();
      const lossSums = new Map<string, number[]>(), weightSums = new Map<string, number[]>();
      const totals: number[] = [], penalties: number[] = [];
      let samples = 0;
      const numSteps = perTask ? names.reduce((s, n) => s + loaders.get(n)!.numBatches, 0) : mainLoader!.numBatches;
      const epochTask = schedule === 'alternate-epoch' ? names[epoch % names.length] : null;
      // Every epoch, the first included, fixes its permutation: a loader shared with an earlier
      // model (or iterated to fit target scalers) must not carry that model's shuffle state.
      if (epoch > 0 || mainLoader === data) mainLoader?.reshuffle?.(epoch);
      if (epoch === 0) for (const [n, l] of loaders) if (l === perTask[n]) l.reshuffle?.(0);
      const mainIt = mainLoader ? mainLoader[Symbol.iterator]() : null;
      progress.startEpoch(epoch, epochs, numSteps);

      for (let s = 0; s < numSteps; s++) {
        // Which tasks learn from this batch.
        let active: string[];
        if (perTask) active = [epochTask ?? picker.next()];
        else if (schedule === 'alternate-batch') active = [picker.next()];
        else if (epochTask) active = [epochTask];
        else active = names;

        const record = tidy(() => {
          const batch = perTask ? cyclers.get(active[0])!.next() : mainIt!.next().value;
          if (!batch) throw new Error('train: the data loader yielded fewer batches than numBatches');
          samples += batch.size;
          optimizer.zeroGrad();
          const outputs = model.forward(batch.inputs);
          const stepTasks: string[] = [], losses: Tensor[] = [], weightsDeclared: number[] = [];
          for (const n of active) {
            const task = tasks.find((t) => t.name === n)!;
            const label = task.labelOf(batch);
            if (!label) continue;
            const out = outputs[n];
            if (!out) throw new Error(`train: the model produced no output for task '${n}'`);
            const prepared = task.prepare(label);
            if (prepared.count === 0) continue; // nothing labelled for this task in the batch
            stepTasks.push(n);
            losses.push(task.computeLoss(out, prepared, model.probabilityOutputs.has(n)));
            weightsDeclared.push(task.weight);
          }
          if (!losses.length) return null;
          const lossValues = losses.map((l) => l.item());
          for (const [i, v] of lossValues.entries())
            if (!Number.isFinite(v)) throw new Error(`train: task '${stepTasks[i]}' loss is ${v} at step ${step} (epoch ${epoch}); lower the learning rate or check the labels`);
          const shared = trainedShared.filter((p) => p.requiresGrad);
          let cached: Float32Array[] | null = null;
          const ctx: WeightingContext = {
            tasks: stepTasks,
            losses,
            lossValues,
            taskWeights: weightsDeclared,
            step,
            epoch,
            sharedParameters: shared,
            taskGradients: () => (cached ??= taskGradients(losses, shared, [...allParams, ...model.parameters()])),
          };
          const sample = conflictEvery > 0 && (step < conflictWarmup || step % conflictEvery === 0);
          if (sample && stepTasks.length > 1 && shared.length) monitor.record(stepTasks, ctx.taskGradients());
          const result = weighting.combine(ctx);
          if (result.weights.length !== stepTasks.length)
            throw new Error(`train: weighting '${weighting.name}' returned ${result.weights.length} weights for ${stepTasks.length} tasks`);
          const penalty = model.penalty();
          const total = penalty ? add(result.loss, penalty) : result.loss;
          total.backward();
          if (result.sharedGradient) setSharedGradient(shared, result.sharedGradient);
          optimizer.step();
          return {
            step,
            epoch,
            tasks: stepTasks,
            losses: Object.fromEntries(stepTasks.map((n, i) => [n, lossValues[i]])),
            weights: Object.fromEntries(stepTasks.map((n, i) => [n, result.weights[i]])),
            total: total.item(),
            penalty: penalty ? penalty.item() : 0,
          };
        });
        if (record) {
          const { penalty, ...stepRecord } = record;
          for (const n of record.tasks) {
            (lossSums.get(n) ?? lossSums.set(n, []).get(n)!).push(record.losses[n]);
            (weightSums.get(n) ?? weightSums.set(n, []).get(n)!).push(record.weights[n]);
          }
          totals.push(record.total);
          penalties.push(penalty);
          if (logEvery > 0 && step % logEvery === 0) history.steps.push(stepRecord);
          options.callbacks?.onBatchEnd?.(stepRecord);
          progress.update(s + 1, samples, (performance.now() - t0) / 1000, stepRecord.losses);
        }
        step++;
      }
      optimizer.zeroGrad();

      const seconds = (performance.now() - t0) / 1000;
      const loss = Object.fromEntries([...lossSums].map(([n, v]) => [n, mean(v)]));
      weighting.epochEnd?.(loss);
      const rec: EpochRecord = {
        epoch,
        seconds,
        samples,
        samplesPerSecond: samples / Math.max(seconds, 1e-9),
        loss,
        totalLoss: mean(totals),
        weights: Object.fromEntries([...weightSums].map(([n, v]) => [n, mean(v)])),
        penalty: penalties.length ? mean(penalties) : 0,
        lr: optimizer.paramGroups.map((g) => g.lr),
        gateUsage: model.gateUsage(),
        gradientCosines: monitor.summary(),
      };
      if (options.validation)
        rec.validation = evaluate(model, options.validation, { batchSize: Math.max(batchSize, 512), tasks: names, extraMetrics: esMetric === 'score' ? ['score'] : [] });
      history.epochs.push(rec);
      progress.endEpoch(rec);
      options.callbacks?.onEpochEnd?.(rec, history);

      if (es) {
        const value = monitoredValue(rec.validation ?? null, rec.loss, names, esMonitor, esMetric);
        const better = best === null || (esMode === 'min' ? value < best.value - (es.minDelta ?? 0) : value > best.value + (es.minDelta ?? 0));
        if (Number.isFinite(value) && better) {
          best?.state && Object.values(best.state).forEach((t) => t.dispose());
          best = { value, epoch, state: snapshot(model) };
          sinceBest = 0;
        } else if (++sinceBest >= (es.patience ?? 3)) {
          history.stoppedEarly = true;
          break;
        }
      }
    }
  } finally {
    progress.stop();
    for (const p of frozenShared) p.requiresGrad = true;
  }
  if (best) {
    model.loadStateDict(best.state);
    Object.values(best.state).forEach((t) => t.dispose());
    history.best = { epoch: best.epoch, value: best.value, monitor: esMonitor, metric: esMetric };
  }
  options.callbacks?.onTrainEnd?.(history);
  return history;
}

function snapshot(model: MultiTaskModel): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, keep(t.clone())]));
}

/**
 * The early-stopping value: `metric` ('loss', 'score' or a metric name) of task `monitor`, or
 * its mean over `tasks` when monitor is 'mean', from the validation result if there is one,
 * else (losses only) from the training losses.
 */
export function monitoredValue(validation: EvaluationResult | null, trainingLoss: Record<string, number> | null, tasks: readonly string[], monitor: string, metric: string): number {
  const of = (task: string): number => {
    if (metric === 'loss') {
      const v = validation ? validation.loss[task] : trainingLoss?.[task];
      return v ?? NaN;
    }
    if (!validation) throw new Error(`earlyStopping: metric '${metric}' needs validation data`);
    const v = validation.metrics[task]?.[metric];
    if (v === undefined) throw new Error(`earlyStopping: task '${task}' has no metric '${metric}'`);
    return v;
  };
  if (monitor !== 'mean') {
    if (!tasks.includes(monitor)) throw new Error(`earlyStopping: monitor '${monitor}' is not a trained task or 'mean'`);
    return of(monitor);
  }
  // Tasks without labelled validation rows have no metrics and are left out of the mean.
  return mean(tasks.filter((n) => (metric === 'loss' ? true : validation?.metrics[n]?.[metric] !== undefined)).map(of).filter((v) => !Number.isNaN(v)));
}
