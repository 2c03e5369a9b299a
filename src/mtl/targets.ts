// Fitting regression target scalers from the training data, for tasks declared without one:
// a raw target in dollars or on a 1-5 scale would otherwise own the shared layers' gradient.
import type { Task } from './task.js';
import { presentStats } from '../shared/stats.js';
import { isLoader, type Batch, type DataSource } from './types.js';

/** Mean and std of each unfitted regression task's labelled training rows; sets `task.target`. */
export function fitTargetScalers(tasks: readonly Task[], sources: (task: Task) => DataSource | undefined): void {
  for (const task of tasks) {
    if (task.type !== 'regression' || task.target !== undefined) continue;
    const data = sources(task);
    if (!data) continue;
    const labels: number[] = [];
    const batches: Iterable<Batch> = isLoader(data) ? data : [{ size: 0, inputs: data.inputs, labels: data.labels }];
    for (const batch of batches) {
      const label = task.labelOf(batch);
      if (label) for (const v of label.data() as Float32Array) labels.push(v);
    }
    const { n, mean, std } = presentStats(labels);
    task.target = n === 0 ? null : { transform: 'none', mean, std: std > 0 ? std : 1 };
  }
}
