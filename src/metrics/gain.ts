// The multi-task gain Δm (Maninis et al. 2019, as LibMTL reports it): for each task the
// mean over its metrics of the relative change against a single-task baseline, signed so
// that positive always means "the multi-task model is better"; Δm is the mean over tasks.

/** Whether a larger value of a metric is better. */
export type Direction = 'higher' | 'lower';

const LOWER_IS_BETTER = new Set(['logloss', 'logLoss', 'rmse', 'mae', 'loss', 'mse']);

/** The direction of the built-in metrics (error-like metrics are 'lower'). */
export function metricDirection(metric: string): Direction {
  return LOWER_IS_BETTER.has(metric) ? 'lower' : 'higher';
}

/** Whether `value` is better than `reference` on `metric`; a finite value beats a non-finite reference, a non-finite value beats nothing. */
export function beats(metric: string, value: number, reference: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (!Number.isFinite(reference)) return true;
  return metricDirection(metric) === 'lower' ? value < reference : value > reference;
}

export type TaskMetrics = Record<string, Record<string, number>>;

export interface MultiTaskGain {
  /** Per task, per metric: signed relative change in percent. */
  perMetric: Record<string, Record<string, number>>;
  /** Per task: mean of its per-metric deltas, in percent. */
  perTask: Record<string, number>;
  /** Mean of the per-task deltas, in percent. */
  deltaM: number;
}

/**
 * Compares multi-task results with single-task baselines, both as { task: { metric: value } }.
 * Only metrics present in both are compared; `directions` overrides the built-in directions.
 */
export function multiTaskGain(multiTask: TaskMetrics, singleTask: TaskMetrics, directions: Record<string, Direction> = {}): MultiTaskGain {
  const perMetric: Record<string, Record<string, number>> = {};
  const perTask: Record<string, number> = {};
  for (const task of Object.keys(singleTask)) {
    const m = multiTask[task];
    if (!m) throw new Error(`multiTaskGain: task '${task}' has a single-task baseline but no multi-task result`);
    const deltas: Record<string, number> = {};
    for (const metric of Object.keys(singleTask[task])) {
      if (!(metric in m)) continue;
      const base = singleTask[task][metric];
      if (base === 0 || !Number.isFinite(base))
        throw new Error(`multiTaskGain: baseline ${task}.${metric} is ${base}; the relative change is undefined`);
      const sign = (directions[metric] ?? metricDirection(metric)) === 'lower' ? -1 : 1;
      deltas[metric] = (sign * (m[metric] - base) / Math.abs(base)) * 100;
    }
    const values = Object.values(deltas);
    if (!values.length) throw new Error(`multiTaskGain: task '${task}' shares no metric with its baseline`);
    perMetric[task] = deltas;
    perTask[task] = values.reduce((a, b) => a + b, 0) / values.length;
  }
  const tasks = Object.values(perTask);
  if (!tasks.length) throw new Error('multiTaskGain: no tasks to compare');
  return { perMetric, perTask, deltaM: tasks.reduce((a, b) => a + b, 0) / tasks.length };
}
