// How a job's config becomes the trainer's options: one definition for train and resume.
import type { EarlyStopping, ProgressOption, TrainOptions } from '../mtl/index.js';
import type { DataSource } from '../mtl/types.js';
import { parseMonitor, type JobConfig } from './config.js';

/** What `training.monitor` means for a model trained on `tasks`, as the trainer's early stopping. */
export function earlyStoppingFor(config: JobConfig, tasks: readonly string[]): Required<Pick<EarlyStopping, 'monitor' | 'metric' | 'patience'>> {
  const { patience, monitor } = config.training;
  if (monitor === 'score' || monitor === 'loss') return { monitor: 'mean', metric: monitor, patience };
  const parsed = parseMonitor(monitor, config.tasks.map((t) => t.name));
  // A task metric steers the models that train that task; a baseline of another task follows its own score.
  if (parsed && tasks.includes(parsed.task)) return { monitor: parsed.task, metric: parsed.metric, patience };
  return { monitor: 'mean', metric: 'score', patience };
}

/** In words, for logs and reports: what early stopping followed. */
export function describeMonitor(es: { monitor: string; metric: string }): string {
  if (es.monitor !== 'mean') return `validation ${es.monitor} ${es.metric}`;
  return es.metric === 'score'
    ? 'mean validation score (AUC for binary, accuracy for multiclass, 1 - RMSE/std for regression)'
    : `mean validation ${es.metric}`;
}

export interface FitSettings {
  tasks: readonly string[];
  seed: number;
  validation: DataSource;
  progress: ProgressOption;
  weighting?: string;
  epochs?: number;
}

/** The trainer's options for one model of the job. */
export function trainOptions(config: JobConfig, s: FitSettings): TrainOptions {
  return {
    epochs: s.epochs ?? config.training.epochs,
    lr: config.training.lr,
    weighting: s.weighting ?? config.training.weighting,
    validation: s.validation,
    earlyStopping: earlyStoppingFor(config, s.tasks),
    seed: s.seed,
    progress: s.progress,
  };
}
