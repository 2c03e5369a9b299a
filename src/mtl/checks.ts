// Checks run once when training starts, so a mistake in the data is an error naming it
// instead of a model that quietly trains on nothing or on NaN.
import type { Tensor } from '../tensor/tensor.js';
import type { Task } from './task.js';
import { isLoader, type DataSource, type TensorData } from './types.js';

/** The label key a task reads from `batch.labels`, or null when it computes its label. */
function labelKey(task: Task): string | null {
  const l = task.spec.label;
  return typeof l === 'function' ? null : l ?? task.name;
}

/** First non-finite element of a float tensor, as [row, column] of its [rows, rest] view. */
function firstNonFinite(t: Tensor): [number, number, number] | null {
  if (t.dtype !== 'float32') return null;
  const v = t.data() as Float32Array;
  const width = t.shape[0] ? v.length / t.shape[0] : 1;
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return [Math.floor(i / width), i % width, v[i]];
  return null;
}

function checkTensorData(tasks: readonly Task[], trained: readonly Task[], data: TensorData, where: string): void {
  for (const [name, t] of Object.entries(data.inputs)) {
    const bad = firstNonFinite(t);
    if (bad) throw new Error(`train: ${where}input '${name}' is ${bad[2]} at row ${bad[0]}, column ${bad[1]}; inputs must be finite (fill or drop missing values first)`);
  }
  for (const task of trained) {
    const key = labelKey(task);
    if (key !== null && !data.labels[key])
      throw new Error(`train: ${where}no label '${key}' for task '${task.name}': it would train on nothing (labels given: ${Object.keys(data.labels).join(', ') || 'none'})`);
  }
  for (const task of tasks) {
    const key = labelKey(task);
    const label = key === null ? undefined : data.labels[key];
    if (!label) continue;
    if (task.type !== 'binary' && task.type !== 'multilabel') continue;
    const v = label.data();
    for (let i = 0; i < v.length; i++)
      if (!Number.isNaN(v[i]) && !(v[i] >= 0 && v[i] <= 1))
        throw new Error(`train: ${where}label '${key}' of ${task.type} task '${task.name}' is ${v[i]} at element ${i}; labels must be in [0, 1], or NaN (missing)`);
  }
}

/**
 * Tensor data: inputs finite, every trained task has its label (a misspelt key would
 * otherwise train that task on nothing), binary labels in [0, 1]. Loaders are checked batch by batch by the trainer instead.
 */
export function checkTrainingData(
  tasks: readonly Task[],
  trained: readonly Task[],
  data: DataSource | { perTask: Record<string, DataSource> },
  perTask: boolean,
): void {
  if (perTask) {
    const sources = (data as { perTask: Record<string, DataSource> }).perTask;
    for (const task of trained) {
      const d = sources[task.name];
      if (d && !isLoader(d)) checkTensorData(tasks, [task], d, `perTask['${task.name}'] `);
    }
    return;
  }
  const d = data as DataSource;
  if (!d || typeof d !== 'object' || isLoader(d) || !d.labels || !d.inputs) return;
  checkTensorData(tasks, trained, d, '');
}
