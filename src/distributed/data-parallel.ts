// What the trainer does differently across W processes: the model broadcast from rank 0
// at the start, each rank's share of the batches, gradients averaged in flat buckets
// before every optimizer step (so every rank's optimizer sees the same gradient and keeps
// the same state), epoch losses averaged, and validation predictions gathered so metrics
// and early stopping see every rank's validation rows.
import type { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/scope.js';
import type { DataLoader } from '../mtl/types.js';
import { allGatherF64, broadcastInPlace, reduceInPlace, writeInto } from './collectives.js';
import type { NativeComm } from './comm.js';
import { FirstBatches, ShardedLoader, isRankLocal } from './sharding.js';
import { activeComm, init } from './world.js';
import { empty } from '../ops/core.js';
import { native } from '../native.js';

/** Floats per all-reduce call: 4 MB buckets, big enough to amortise each call's latency. */
export const BUCKET_FLOATS = 1 << 20;

export class DataParallel {
  constructor(
    readonly rank: number,
    readonly size: number,
    private readonly comm: NativeComm,
  ) {}

  /** Rank 0's values copied into `tensors` on every rank (float32 in flat buckets per device; int32 one by one). */
  broadcastFrom0(tensors: readonly Tensor[]): void {
    const unique = [...new Set(tensors)];
    for (const bucket of buckets(unique.filter((t) => t.dtype === 'float32'))) {
      const flat = empty([bucket.reduce((s, t) => s + t.size, 0)], bucket[0].device);
      packInto(flat, bucket);
      broadcastInPlace(this.comm, flat, 0);
      unpackFrom(flat, bucket);
      flat.dispose();
    }
    for (const t of unique.filter((t) => t.dtype !== 'float32')) broadcastInPlace(this.comm, t, 0);
  }

  /**
   * This rank's share of a loader: the same number of steps on every rank for training, as
   * it comes for validation. A loader over rows only this rank holds (markRankLocal) is its
   * share already: for training it is cut to the fewest batches any rank has (one
   * collective, here), so the ranks step in lock-step.
   */
  shard(loader: DataLoader, evenSteps: boolean): DataLoader {
    if (!isRankLocal(loader)) return new ShardedLoader(loader, this.rank, this.size, evenSteps);
    if (!evenSteps) return loader;
    const counts = allGatherF64(Float64Array.of(loader.numBatches));
    const steps = Math.min(...counts);
    if (steps === 0)
      throw new Error(`train: rank ${counts.indexOf(0)} of ${this.size} has no training batch (batches per rank: ${Array.from(counts).join(', ')}); every rank needs training rows`);
    return steps === loader.numBatches ? loader : new FirstBatches(loader, steps);
  }

  /**
   * Replaces each parameter's gradient by its mean over the ranks, a bucket of flat floats
   * per all-reduce. A parameter without a gradient on this rank counts as zero; it gets the
   * mean when any rank had one, and stays without when none had (as in one process, where
   * it would have none). Returns whether any parameter has a gradient now.
   */
  averageGradients(params: readonly Tensor[]): boolean {
    let any = false;
    for (const bucket of buckets([...new Set(params)].filter((p) => p.requiresGrad))) {
      const n = bucket.reduce((s, p) => s + p.size, 0);
      // The gradients, then one flag per parameter (1 where this rank has a gradient): after
      // the mean, a flag above 0 says some rank had one.
      const flat = empty([n + bucket.length], bucket[0].device, 'float32', true);
      packInto(flat, bucket, (p) => p.grad);
      writeInto(flat, Float32Array.from(bucket, (p) => (p.grad ? 1 : 0)), n);
      reduceInPlace(this.comm, flat, true);
      const had = readFloats(flat, n, bucket.length);
      let o = 0;
      bucket.forEach((p, i) => {
        if (had[i] > 0) {
          const g = empty(p.shape, p.device);
          copyFloats(g, 0, flat, o, p.size);
          p.zeroGrad();
          p.grad = keep(g);
          any = true;
        }
        o += p.size;
      });
      flat.dispose();
    }
    return any;
  }

  /** Every rank's `values` summed, in place, in one all-reduce (the per-task gradients of a step). */
  allReduceSum(values: Float32Array): void {
    this.comm.dist_allReduce(values, values.length, false);
  }

  /** The mean over ranks of each named value (a rank without a value for a name leaves it out of that mean). */
  meanOverRanks(values: Record<string, number>, names: readonly string[]): Record<string, number> {
    const pairs = new Float64Array(names.length * 2);
    names.forEach((n, i) => {
      const v = values[n];
      if (v !== undefined && Number.isFinite(v)) [pairs[2 * i], pairs[2 * i + 1]] = [v, 1];
    });
    const all = allGatherF64(pairs);
    const out: Record<string, number> = {};
    names.forEach((n, i) => {
      let sum = 0, count = 0;
      for (let r = 0; r < this.size; r++) [sum, count] = [sum + all[r * pairs.length + 2 * i], count + all[r * pairs.length + 2 * i + 1]];
      if (count > 0) out[n] = sum / count;
      else if (n in values) out[n] = values[n];
    });
    return out;
  }

  /** Every rank's values end to end (validation labels and predictions). */
  gather(values: Float64Array): Float64Array {
    return allGatherF64(values);
  }

  /** Each value summed over the ranks (validation loss sums and row counts). */
  sum(values: Float64Array): Float64Array {
    const all = allGatherF64(values);
    const out = new Float64Array(values.length);
    for (let r = 0; r < this.size; r++) for (let i = 0; i < values.length; i++) out[i] += all[r * values.length + i];
    return out;
  }
}

/**
 * Consecutive groups of tensors on one device of about BUCKET_FLOATS elements (a bigger
 * tensor alone).
 */
function buckets(tensors: readonly Tensor[]): Tensor[][] {
  const out: Tensor[][] = [];
  let cur: Tensor[] = [], n = 0;
  for (const t of tensors) {
    if (cur.length && (n + t.size > BUCKET_FLOATS || t.device !== cur[0].device)) {
      out.push(cur);
      cur = [];
      n = 0;
    }
    cur.push(t);
    n += t.size;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** `count` floats of `src` from `srcOffset` into `dst` at `dstOffset` (same device). */
function copyFloats(dst: Tensor, dstOffset: number, src: Tensor, srcOffset: number, count: number): void {
  if (count > 0) native.copy_block(dst.kbuf, dstOffset, [1], src.kbuf, srcOffset, [1], [count], false);
}

/**
 * The tensors end to end into `flat`: each one's slot holds `pick(t)`'s values (its
 * gradient, say), or stays as it is where `pick` gives null.
 */
function packInto(flat: Tensor, tensors: readonly Tensor[], pick: (t: Tensor) => Tensor | null = (t) => t): void {
  let o = 0;
  for (const t of tensors) {
    const values = pick(t);
    if (values) copyFloats(flat, o, values, 0, t.size);
    o += t.size;
  }
}

/** packInto's reverse: each tensor's elements back from `flat`. */
function unpackFrom(flat: Tensor, parts: readonly Tensor[]): void {
  let o = 0;
  for (const t of parts) {
    copyFloats(t, 0, flat, o, t.size);
    o += t.size;
  }
}

/** `count` of `t`'s values from `offset`, on the host. */
function readFloats(t: Tensor, offset: number, count: number): Float32Array {
  if (t.device === 'cpu') return (t.buf as Float32Array).slice(offset, offset + count);
  const part = empty([count], t.device);
  copyFloats(part, 0, t, offset, count);
  const host = part.data() as Float32Array;
  part.dispose();
  return host;
}

/**
 * The trainer's data parallelism for `distributed: true`: joins the launcher's world, and
 * returns null in a world of one process (training as usual).
 */
export function dataParallel(distributed: boolean | undefined): DataParallel | null {
  if (!distributed) return null;
  const { rank, worldSize } = init();
  const comm = activeComm();
  return worldSize > 1 && comm ? new DataParallel(rank, worldSize, comm) : null;
}
