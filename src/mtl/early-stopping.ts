// Early stopping: after each epoch, the monitored value (a loss, the common-scale score or a
// metric, of one task or their mean); the best epoch's weights are kept and restored at the
// end, and training stops after `patience` epochs without improvement.
import type { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/scope.js';
import { metricDirection } from '../metrics/gain.js';
import { average } from './epoch-log.js';
import type { EpochRecord, EvaluationResult, History } from './history.js';
import type { MultiTaskModel } from './model.js';
import { clone } from '../ops/core.js';

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
  return average(tasks.filter((n) => (metric === 'loss' ? true : validation?.metrics[n]?.[metric] !== undefined)).map(of).filter((v) => !Number.isNaN(v)));
}

/** A copy of the model's weights that outlives the step's tidy scope. */
function snapshot(model: MultiTaskModel): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, keep(clone(t))]));
}

const dispose = (state: Record<string, Tensor>): void => Object.values(state).forEach((t) => t.dispose());

export class EarlyStopper {
  readonly monitor: string;
  readonly metric: string;
  private readonly mode: 'min' | 'max';
  private best: { value: number; epoch: number; state: Record<string, Tensor> } | null = null;
  private sinceBest = 0;

  constructor(private readonly options: EarlyStopping, private readonly tasks: readonly string[]) {
    this.monitor = options.monitor ?? 'mean';
    this.metric = options.metric ?? 'loss';
    this.mode = options.mode ?? (metricDirection(this.metric) === 'lower' ? 'min' : 'max');
  }

  /** After an epoch: keeps the weights when the epoch is the best so far; true once patience has run out. */
  shouldStop(record: EpochRecord, model: MultiTaskModel): boolean {
    const value = monitoredValue(record.validation ?? null, record.loss, this.tasks, this.monitor, this.metric);
    if (Number.isFinite(value) && this.improves(value)) {
      if (this.best) dispose(this.best.state);
      this.best = { value, epoch: record.epoch, state: snapshot(model) };
      this.sinceBest = 0;
      return false;
    }
    return ++this.sinceBest >= (this.options.patience ?? 3);
  }

  private improves(value: number): boolean {
    if (this.best === null) return true;
    const minDelta = this.options.minDelta ?? 0;
    return this.mode === 'min' ? value < this.best.value - minDelta : value > this.best.value + minDelta;
  }

  /** Loads the best epoch's weights into the model and returns the history's `best` (null when no epoch had a finite value). */
  restoreBest(model: MultiTaskModel): History['best'] {
    if (!this.best) return null;
    model.loadStateDict(this.best.state);
    dispose(this.best.state);
    const { epoch, value } = this.best;
    this.best = null;
    return { epoch, value, monitor: this.monitor, metric: this.metric };
  }
}
