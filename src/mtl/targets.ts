// Fitting regression target scalers from the training data, for tasks declared without one:
// a raw target in dollars or on a 1-5 scale would otherwise own the shared layers' gradient.
import type { Task } from './task.js';
import { isLoader, type Batch, type DataSource } from './types.js';

/** Mean and std of each unfitted regression task's labelled training rows; sets `task.target`. */
export function fitTargetScalers(tasks: readonly Task[], sources: (task: Task) => DataSource | undefined): void {
  for (const task of tasks) {
    if (task.type !== 'regression' || task.target !== undefined) continue;
    const data = sources(task);
    if (!data) continue;
    let n = 0, sum = 0, sumSq = 0;
    const add = (values: ArrayLike<number>): void => {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (Number.isNaN(v)) continue;
        n++;
        sum += v;
        sumSq += v * v;
      }
    };
    const batches: Iterable<Batch> = isLoader(data) ? data : [{ size: 0, inputs: data.inputs, labels: data.labels }];
    for (const batch of batches) {
      const label = task.labelOf(batch);
      if (label) add(label.cpu().data() as Float32Array);
    }
    if (n === 0) {
      task.target = null;
      continue;
    }
    const mean = sum / n;
    const std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
    task.target = { transform: 'none', mean, std: std > 0 ? std : 1 };
  }
}
