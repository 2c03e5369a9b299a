// Batching for the trainer: whole tensors -> shuffled (optionally resampled) batches, and
// a uniform view over loaders. Shuffling draws from a Generator of its own (the engine's
// generator, seeded from the train options), so it does not move the global tensor RNG.
import type { Tensor } from '../tensor/tensor.js';
import { fromBuffer } from '../tensor/creation.js';
import { indexSelect } from '../ops/shape.js';
import type { Generator } from '../tensor/random.js';
import { isLoader, type Batch, type DataLoader, type DataSource, type TensorData } from './types.js';
import { toDevice } from '../ops/core.js';

/** Over- or under-sampling of a binary task's rows: each positive row is drawn `positive` times on average, each negative `negative` times. */
export interface Resampling {
  positive?: number;
  negative?: number;
}

export function rowCount(data: TensorData): number {
  const all = [...Object.entries(data.inputs), ...Object.entries(data.labels)];
  if (!all.length) throw new Error('TensorBatches: no inputs or labels');
  const n = all[0][1].shape[0];
  for (const [k, t] of all)
    if (t.ndim === 0 || t.shape[0] !== n) throw new Error(`TensorBatches: '${k}' has ${t.shape[0] ?? 0} rows, expected ${n} (every tensor must be row-aligned)`);
  return n;
}

/** Shuffled batches over row-aligned tensors (multihot bags need a data loader instead). */
export class TensorBatches implements DataLoader {
  readonly rows: number;
  private order: Int32Array;
  constructor(
    readonly data: TensorData,
    readonly batchSize: number,
    private readonly rng: Generator,
    private readonly options: { shuffle?: boolean; resample?: Record<string, Resampling> } = {},
  ) {
    if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`TensorBatches: batchSize must be a positive integer (got ${batchSize})`);
    this.rows = rowCount(data);
    this.order = this.makeOrder();
  }

  get numBatches(): number {
    return Math.ceil(this.order.length / this.batchSize);
  }

  reshuffle(): void {
    this.order = this.makeOrder();
  }

  private makeOrder(): Int32Array {
    const idx: number[] = [];
    const resample = this.options.resample ?? {};
    const factors = new Float64Array(this.rows).fill(1);
    for (const [task, r] of Object.entries(resample)) {
      const label = this.data.labels[task];
      if (!label) throw new Error(`resample: no label column '${task}'`);
      const y = label.data();
      for (let i = 0; i < this.rows; i++) {
        if (Number.isNaN(y[i])) continue;
        factors[i] *= y[i] === 1 ? r.positive ?? 1 : r.negative ?? 1;
      }
    }
    for (let i = 0; i < this.rows; i++) {
      // Whole copies plus one more with the fractional probability.
      const f = factors[i];
      let k = Math.floor(f);
      if (this.rng.uniform() < f - k) k++;
      for (let c = 0; c < k; c++) idx.push(i);
    }
    if (this.options.shuffle !== false) this.rng.shuffle(idx);
    return Int32Array.from(idx);
  }

  *[Symbol.iterator](): Iterator<Batch> {
    for (let s = 0; s < this.order.length; s += this.batchSize) {
      const rows = this.order.subarray(s, Math.min(s + this.batchSize, this.order.length));
      const index = fromBuffer(Int32Array.from(rows), [rows.length]);
      const pick = (t: Tensor): Tensor => indexSelect(t, 0, toDevice(index, t.device));
      const inputs: Record<string, Tensor> = {}, labels: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(this.data.inputs)) inputs[k] = pick(t);
      for (const [k, t] of Object.entries(this.data.labels)) labels[k] = pick(t);
      index.dispose();
      yield { size: rows.length, inputs, labels };
    }
  }
}

export function asLoader(d: DataSource, batchSize: number, rng: Generator, options: { shuffle?: boolean; resample?: Record<string, Resampling> } = {}): DataLoader {
  if (isLoader(d)) {
    if (options.resample && Object.keys(options.resample).length)
      throw new Error('resample: works on tensor data; a data loader does its own sampling');
    return d;
  }
  if (!d || typeof d !== 'object' || !d.inputs || !d.labels) throw new Error('train: data must be a data loader or { inputs, labels } tensors');
  return new TensorBatches(d, batchSize, rng, options);
}

/** Endless iteration over a loader, restarting (and reshuffling) when it runs out. */
export class Cycler {
  private it: Iterator<Batch> | null = null;
  private round = 0;
  constructor(private readonly loader: DataLoader) {}
  next(): Batch {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!this.it) this.it = this.loader[Symbol.iterator]();
      const r = this.it.next();
      if (!r.done) return r.value;
      this.it = null;
      this.loader.reshuffle?.(++this.round);
    }
    throw new Error('train: a data loader yielded no batches');
  }
}
