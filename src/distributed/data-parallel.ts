// What the trainer does differently across W processes: the model broadcast from rank 0
// at the start, each rank's share of the batches, gradients averaged in flat buckets
// before every optimizer step (so every rank's optimizer sees the same gradient and keeps
// the same state), epoch losses averaged, and validation predictions gathered so metrics
// and early stopping see every rank's validation rows.
import type { Tensor } from '../tensor/tensor.js';
import { fromBuffer } from '../tensor/creation.js';
import { keep } from '../tensor/scope.js';
import type { DataLoader } from '../mtl/types.js';
import { allGatherF64, writeInto } from './collectives.js';
import type { NativeComm } from './comm.js';
import { FirstBatches, ShardedLoader, isRankLocal } from './sharding.js';
import { activeComm, init } from './world.js';
import { toDevice } from '../ops/core.js';

/** Floats per all-reduce call: 4 MB buckets, big enough to amortise each call's latency. */
export const BUCKET_FLOATS = 1 << 20;

export class DataParallel {
  constructor(
    readonly rank: number,
    readonly size: number,
    private readonly comm: NativeComm,
  ) {}

  /** Rank 0's values copied into `tensors` on every rank (bucketed float32; int32 one by one). */
  broadcastFrom0(tensors: readonly Tensor[]): void {
    const unique = [...new Set(tensors)];
    for (const bucket of buckets(unique.filter((t) => t.dtype === 'float32'))) {
      const flat = new Float32Array(bucket.reduce((s, t) => s + t.size, 0));
      let o = 0;
      for (const t of bucket) {
        flat.set(t.data() as Float32Array, o);
        o += t.size;
      }
      this.comm.dist_broadcast(flat, 0);
      o = 0;
      for (const t of bucket) {
        writeInto(t, flat.subarray(o, o + t.size));
        o += t.size;
      }
    }
    for (const t of unique.filter((t) => t.dtype !== 'float32')) {
      const host = t.data() as Int32Array;
      this.comm.dist_broadcast(host, 0);
      writeInto(t, host);
    }
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
      // The gradients, then one flag per parameter: how many ranks had a gradient for it.
      const flat = new Float32Array(n + bucket.length);
      let o = 0;
      bucket.forEach((p, i) => {
        if (p.grad) {
          flat.set(p.grad.data() as Float32Array, o);
          flat[n + i] = 1;
        }
        o += p.size;
      });
      this.comm.dist_allReduce(flat, flat.length, false);
      const scale = 1 / this.size;
      o = 0;
      bucket.forEach((p, i) => {
        const slice = flat.subarray(o, (o += p.size));
        if (flat[n + i] === 0) return;
        for (let k = 0; k < slice.length; k++) slice[k] *= scale;
        const g = fromBuffer(Float32Array.from(slice), p.shape);
        p.zeroGrad();
        p.grad = keep(toDevice(g, p.device));
        any = true;
      });
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

/** Consecutive groups of tensors of about BUCKET_FLOATS elements (a bigger tensor alone). */
function buckets(tensors: readonly Tensor[]): Tensor[][] {
  const out: Tensor[][] = [];
  let cur: Tensor[] = [], n = 0;
  for (const t of tensors) {
    if (cur.length && n + t.size > BUCKET_FLOATS) {
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
