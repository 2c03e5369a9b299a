// Each rank's share of the batches. Every rank draws the same shuffled order (the same
// seed), cut into batches of the per-rank size, and rank r takes batches r, r + W, ...:
// together one step's W batches are the rows one process would take in a single batch of
// W times the size, in the same order. Sharding whole batches (rather than rows) works for
// any data loader, multi-hot bags included.
import type { Batch, DataLoader } from '../mtl/types.js';

const disposeBatch = (b: Batch): void => {
  for (const t of [...Object.values(b.inputs), ...Object.values(b.labels), ...Object.values(b.masks ?? {})]) t.dispose();
};

/**
 * Rank `rank`'s batches of `base`. With `evenSteps`, every rank yields the same number
 * (the last base batches that would leave some rank without one are dropped: up to W - 1
 * per epoch, different ones each epoch), as lock-step training needs; without, the batches
 * are split as they come (validation, where the counts may differ).
 */
export class ShardedLoader implements DataLoader {
  constructor(
    readonly base: DataLoader,
    private readonly rank: number,
    private readonly size: number,
    private readonly evenSteps: boolean,
  ) {}

  get numBatches(): number {
    const n = this.base.numBatches;
    return this.evenSteps ? Math.floor(n / this.size) : Math.floor(n / this.size) + (n % this.size > this.rank ? 1 : 0);
  }

  reshuffle(epoch: number): void {
    this.base.reshuffle?.(epoch);
  }

  *[Symbol.iterator](): Iterator<Batch> {
    const limit = this.evenSteps ? this.numBatches * this.size : Infinity;
    let i = 0;
    for (const batch of this.base) {
      if (i >= limit) {
        disposeBatch(batch);
        break;
      }
      if (i++ % this.size === this.rank) yield batch;
      else disposeBatch(batch);
    }
  }
}

const rankLocal = new WeakSet<object>();

/**
 * Marks a loader as holding this rank's own rows (each rank read its share of the input):
 * the trainer then takes all of its batches instead of one in W of a common order.
 */
export function markRankLocal<T extends object>(loader: T): T {
  rankLocal.add(loader);
  return loader;
}

export const isRankLocal = (loader: object): boolean => rankLocal.has(loader);

/** The first `steps` batches of each pass over `base` (the rest are disposed unread): every rank steps alike. */
export class FirstBatches implements DataLoader {
  constructor(
    readonly base: DataLoader,
    readonly steps: number,
  ) {}

  get numBatches(): number {
    return Math.min(this.steps, this.base.numBatches);
  }

  reshuffle(epoch: number): void {
    this.base.reshuffle?.(epoch);
  }

  *[Symbol.iterator](): Iterator<Batch> {
    let i = 0;
    for (const batch of this.base) {
      if (i++ < this.steps) yield batch;
      else {
        disposeBatch(batch);
        break;
      }
    }
  }
}
