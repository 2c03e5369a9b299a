// What a search compares trials on: each task's headline validation metric (AUC for binary
// and multilabel, accuracy for multiclass, score = 1 - RMSE/std for regression: the
// metrics early stopping's 'score' averages), and one number made of them (`--objective`)
// that picks the best trial and drives TPE and successive halving.
import { metricDirection, type Direction } from '../metrics/index.js';
import type { JobConfig } from '../cli/config.js';

/** Per task, per metric, as the trainer's evaluation gives them. */
export type TaskMetricValues = Record<string, Record<string, number>>;

export interface TaskObjective {
  task: string;
  metric: string;
  direction: Direction;
}

/** The headline metric of a task type. */
export function headlineMetric(type: JobConfig['tasks'][number]['type']): string {
  return type === 'multiclass' ? 'accuracy' : type === 'regression' ? 'score' : 'auc';
}

/** One objective per task of the config, in the config's order. */
export function taskObjectives(config: JobConfig): TaskObjective[] {
  return config.tasks.map((t) => {
    const metric = headlineMetric(t.type);
    return { task: t.name, metric, direction: metricDirection(metric) };
  });
}

/** Each task's headline value (NaN when missing). */
export function headlineValues(objectives: readonly TaskObjective[], metrics: TaskMetricValues | null | undefined): number[] {
  return objectives.map((o) => metrics?.[o.task]?.[o.metric] ?? NaN);
}

/** Values turned so that higher is better on every task. */
export function oriented(objectives: readonly TaskObjective[], values: readonly number[]): number[] {
  return values.map((v, i) => (objectives[i].direction === 'lower' ? -v : v));
}

/**
 * `--objective`: 'mean' (every task weight 1), a task name (that task alone), or
 * 'task=w,task=w' (a weighted mean). Returns the weight per task; an unknown task or a
 * weight that is not a positive number is an error naming it.
 */
export function parseObjective(text: string, tasks: readonly string[]): Record<string, number> {
  const spec = text.trim();
  if (spec === 'mean') return Object.fromEntries(tasks.map((t) => [t, 1]));
  if (!spec.includes('=')) {
    if (!tasks.includes(spec)) throw new Error(`--objective '${text}': expected 'mean', a task (${tasks.join(', ')}) or 'task=w,task=w'`);
    return { [spec]: 1 };
  }
  const out: Record<string, number> = {};
  for (const item of spec.split(',')) {
    const eq = item.lastIndexOf('=');
    const task = item.slice(0, eq).trim();
    const w = Number(item.slice(eq + 1));
    if (!tasks.includes(task)) throw new Error(`--objective '${text}': no task '${task}' in the config (tasks: ${tasks.join(', ')})`);
    if (task in out) throw new Error(`--objective '${text}': task '${task}' is given twice`);
    if (item.slice(eq + 1).trim() === '' || !Number.isFinite(w) || w < 0) throw new Error(`--objective '${text}': the weight of '${task}' must be a number >= 0, got '${item.slice(eq + 1)}'`);
    out[task] = w;
  }
  if (!Object.values(out).some((w) => w > 0)) throw new Error(`--objective '${text}': at least one weight must be above zero`);
  return out;
}

/** The weighted mean of the oriented headline values (NaN when a weighted task has none). */
export function scalarise(objectives: readonly TaskObjective[], weights: Record<string, number>, metrics: TaskMetricValues | null | undefined): number {
  const values = oriented(objectives, headlineValues(objectives, metrics));
  let sum = 0;
  let total = 0;
  objectives.forEach((o, i) => {
    const w = weights[o.task] ?? 0;
    if (w === 0) return;
    sum += w * values[i];
    total += w;
  });
  return total > 0 ? sum / total : NaN;
}
