// Batches from an encoded data set: a seeded permutation per epoch, then each batch
// gathers its rows out of the columnar typed arrays straight into tensor buffers (no
// per-row objects). Shapes follow the data contract.
import type { Device } from '../tensor/dtype.js';
import { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { EncodedDataset } from './features.js';
import type { Batch as ContractBatch, DataLoader as ContractLoader } from '../shared/contract.js';
import { toDevice } from '../ops/core.js';

/** The contract's batch, plus the data set rows it holds. */
export interface Batch extends ContractBatch {
  /** The data set rows of this batch (for sample weights, predictions, debugging). */
  rows: Int32Array;
}

export interface DataLoaderOptions {
  /** Rows per batch (default 256). */
  batchSize?: number;
  /** A new seeded permutation every epoch (default false: data set order). */
  shuffle?: boolean;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Seed of the shuffles (default 0): the same seed and epoch give the same order. */
  seed?: number;
  /** Iterate only these rows (a split, a fold, a resampled index list; repeats allowed). */
  rows?: ArrayLike<number>;
  /** Where the batch tensors live (default 'cpu'). */
  device?: Device;
}

export class DataLoader implements Iterable<Batch>, ContractLoader {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly seed: number;
  readonly device: Device;
  /** The rows this loader iterates, in data set order. */
  readonly rows: Int32Array;
  /** The epoch the next iteration uses; set by reshuffle(), advanced by each iteration. */
  epoch = 0;

  constructor(
    readonly data: EncodedDataset,
    options: DataLoaderOptions = {},
  ) {
    const bs = options.batchSize ?? 256;
    if (!Number.isInteger(bs) || bs < 1) throw new Error(`DataLoader: batchSize must be a positive integer, got ${bs}`);
    this.batchSize = bs;
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.seed = options.seed ?? 0;
    this.device = options.device ?? 'cpu';
    if (options.rows) {
      this.rows = Int32Array.from(options.rows);
      for (let i = 0; i < this.rows.length; i++) {
        const r = this.rows[i];
        if (!(r >= 0 && r < data.numRows) || r !== options.rows[i])
          throw new Error(`DataLoader: rows[${i}] = ${options.rows[i]} is not a row of the data set (0..${data.numRows - 1})`);
      }
    } else {
      this.rows = new Int32Array(data.numRows);
      for (let i = 0; i < data.numRows; i++) this.rows[i] = i;
    }
  }

  get numRows(): number {
    return this.rows.length;
  }

  get numBatches(): number {
    const n = this.rows.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Fixes the epoch whose permutation the next iteration uses. */
  reshuffle(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`DataLoader.reshuffle: epoch must be a non-negative integer, got ${epoch}`);
    this.epoch = epoch;
  }

  /** The row order of an epoch. */
  order(epoch = this.epoch): Int32Array {
    const rows = this.rows.slice();
    if (!this.shuffle) return rows;
    const mixed = (Math.imul(this.seed | 0, 0x2545f491) ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0;
    return new Generator(mixed).shuffle(rows);
  }

  /** The same loader over other rows (a subset or a resampled list). */
  withRows(rows: ArrayLike<number>, options: Omit<DataLoaderOptions, 'rows'> = {}): DataLoader {
    return new DataLoader(this.data, {
      batchSize: this.batchSize,
      shuffle: this.shuffle,
      dropLast: this.dropLast,
      seed: this.seed,
      device: this.device,
      ...options,
      rows,
    });
  }

  *[Symbol.iterator](): Iterator<Batch> {
    const order = this.order(this.epoch);
    this.epoch++;
    const nb = this.numBatches;
    for (let b = 0; b < nb; b++) {
      const start = b * this.batchSize;
      yield this.batch(order.subarray(start, Math.min(start + this.batchSize, order.length)));
    }
  }

  /** One batch of the given data set rows, in that order. */
  batch(rows: Int32Array): Batch {
    return gatherBatch(this.data, rows, this.device);
  }
}

function hostTensor(shape: number[], dtype: 'float32' | 'int32'): Tensor {
  return Tensor.empty(shape, dtype, 'cpu');
}

/** Gathers rows of an encoded data set into batch tensors. */
export function gatherBatch(data: EncodedDataset, rows: Int32Array, device: Device = 'cpu'): Batch {
  const B = rows.length;
  const inputs: Record<string, Tensor> = {};
  const labels: Record<string, Tensor> = {};
  const masks: Record<string, Tensor> = {};
  const labelCounts: Record<string, number> = {};
  for (const [name, f] of Object.entries(data.features)) {
    if (f.kind === 'categorical') {
      const t = hostTensor([B], 'int32');
      const out = t.buf;
      for (let i = 0; i < B; i++) out[i] = f.ids[rows[i]];
      inputs[name] = t;
    } else if (f.kind === 'numeric') {
      const w = f.width;
      const t = hostTensor([B, w], 'float32');
      const out = t.buf;
      for (let i = 0; i < B; i++) {
        const src = rows[i] * w;
        for (let j = 0; j < w; j++) out[i * w + j] = f.values[src + j];
      }
      inputs[name] = t;
    } else {
      let total = 0;
      for (let i = 0; i < B; i++) total += f.offsets[rows[i] + 1] - f.offsets[rows[i]];
      const ids = hostTensor([total], 'int32');
      const offsets = hostTensor([B], 'int32');
      const idBuf = ids.buf;
      const offBuf = offsets.buf;
      let at = 0;
      for (let i = 0; i < B; i++) {
        offBuf[i] = at;
        const s = f.offsets[rows[i]];
        const e = f.offsets[rows[i] + 1];
        idBuf.set(f.ids.subarray(s, e), at);
        at += e - s;
      }
      inputs[name] = ids;
      inputs[`${name}.offsets`] = offsets;
    }
  }
  for (const [name, l] of Object.entries(data.labels)) {
    const w = l.type === 'multilabel' ? l.width : 1;
    const t = hostTensor(l.type === 'multilabel' ? [B, w] : [B], l.type === 'multiclass' ? 'int32' : 'float32');
    const out = t.buf;
    if (w === 1) for (let i = 0; i < B; i++) out[i] = l.values[rows[i]];
    else for (let i = 0; i < B; i++) out.set(l.values.subarray(rows[i] * w, rows[i] * w + w), i * w);
    labels[name] = t;
    // Missing: NaN, or a negative class id.
    const mask = hostTensor([...t.shape], 'float32');
    const m = mask.buf;
    let count = 0;
    const multiclass = l.type === 'multiclass';
    for (let i = 0; i < out.length; i++) count += m[i] = (multiclass ? out[i] >= 0 : !Number.isNaN(out[i])) ? 1 : 0;
    masks[name] = mask;
    labelCounts[name] = count;
  }
  if (device !== 'cpu') {
    for (const m of [inputs, labels, masks])
      for (const k of Object.keys(m)) {
        const host = m[k];
        m[k] = toDevice(host, device);
        host.dispose();
      }
  }
  return { size: B, inputs, labels, masks, labelCounts, rows: rows.slice() };
}
