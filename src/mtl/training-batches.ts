// Where each step's batch comes from: one loader over rows that carry every task's label,
// or one loader per task (PerTaskData), each cycled so a task whose data set runs out
// before the epoch ends comes round again.
import type { Generator } from '../tensor/random.js';
import { asLoader, Cycler, type Resampling } from './data.js';
import type { PerTaskData } from './train-options.js';
import type { Batch, DataLoader, DataSource } from './types.js';

export const isPerTask = (data: DataSource | PerTaskData): data is PerTaskData => Boolean((data as PerTaskData).perTask);

/** The data a task trains on. */
export function sourceOf(data: DataSource | PerTaskData, task: string): DataSource | undefined {
  return isPerTask(data) ? data.perTask[task] : data;
}

export class TrainingBatches {
  private readonly main: DataLoader | null = null;
  private readonly perTask = new Map<string, DataLoader>();
  private readonly cyclers = new Map<string, Cycler>();
  private mainIterator: Iterator<Batch> | null = null;
  /** What this process iterates: the loaders themselves, or its share of them (distributed). */
  private readonly view: (loader: DataLoader) => DataLoader;
  private readonly views = new Map<DataLoader, DataLoader>();

  /** Tensor data is batched here (shuffled and resampled with `generator`); loaders are used as they are. */
  constructor(
    private readonly data: DataSource | PerTaskData,
    tasks: readonly string[],
    batchSize: number,
    generator: Generator,
    options: { shuffle?: boolean; resample?: Record<string, Resampling>; shard?: (loader: DataLoader) => DataLoader },
  ) {
    const shard = options.shard;
    this.view = (l) => (shard ? this.views.get(l) ?? this.views.set(l, shard(l)).get(l)! : l);
    if (isPerTask(data)) {
      for (const n of tasks) {
        if (!data.perTask[n]) throw new Error(`train: perTask data has no entry for task '${n}'`);
        const resample = options.resample?.[n] ? { [n]: options.resample[n] } : undefined;
        const loader = asLoader(data.perTask[n], batchSize, generator, { shuffle: options.shuffle, resample });
        this.perTask.set(n, loader);
        this.cyclers.set(n, new Cycler(this.view(loader)));
      }
    } else this.main = asLoader(data, batchSize, generator, { shuffle: options.shuffle, resample: options.resample });
  }

  /**
   * Starts epoch `epoch` and returns its number of steps: every batch of the main loader,
   * or of every task's loader once. The count is read after the epoch's reshuffle, since
   * fractional resampling draws a new number of rows each time.
   */
  startEpoch(epoch: number): number {
    // Every epoch, the first included, fixes its permutation: a loader shared with an earlier
    // model (or iterated to fit target scalers) must not carry that model's shuffle state.
    if (epoch > 0 || this.main === this.data) this.main?.reshuffle?.(epoch);
    if (epoch === 0 && isPerTask(this.data)) for (const [n, l] of this.perTask) if (l === this.data.perTask[n]) l.reshuffle?.(0);
    this.mainIterator = this.main ? this.view(this.main)[Symbol.iterator]() : null;
    return this.main ? this.view(this.main).numBatches : [...this.perTask.values()].reduce((s, l) => s + this.view(l).numBatches, 0);
  }

  /** The next batch for a step training `active`: from the main loader, or from the one active task's own. */
  next(active: readonly string[]): Batch {
    const batch = this.main ? this.mainIterator!.next().value : this.cyclers.get(active[0])!.next();
    if (!batch) throw new Error('train: the data loader yielded fewer batches than numBatches');
    return batch;
  }
}
