// InputEncoder: a Batch's inputs -> one dense [B, D] vector, so any trunk can sit on it.
// categorical -> Embedding, numeric -> as is, multihot/text -> EmbeddingBag.
import type { Tensor } from '../tensor/tensor.js';
import { concat } from '../ops/shape.js';
import { fromBuffer } from '../tensor/creation.js';
import { globalGenerator } from '../tensor/random.js';
import { Module, Embedding, EmbeddingBag } from './deps.js';
import type { FeatureSpec } from './types.js';
import { toDevice } from '../ops/core.js';

export interface InputEncoderOptions {
  /** Embedding width per categorical / bag feature: a number, or a function of the spec (default min(16, ceil(6 * cardinality^0.25))). */
  embeddingDim?: number | ((spec: FeatureSpec) => number);
  /** How a bag of ids is pooled (default 'mean'). */
  bagMode?: 'sum' | 'mean';
  /**
   * While training, each categorical id is replaced by the out-of-vocabulary id 0 with this
   * probability (default 0), so that row learns the average of the values it stands for,
   * and the model learns to predict without the id: what it meets for a new user or item.
   */
  idDropout?: number;
}

const defaultDim = (cardinality: number): number => Math.max(2, Math.min(16, Math.ceil(6 * Math.pow(cardinality, 0.25))));

export class InputEncoder extends Module {
  readonly specs: FeatureSpec[];
  /** D, the width of the encoded vector. */
  readonly outputDim: number;
  private readonly tables = new Map<string, Module>();
  readonly idDropout: number;

  constructor(specs: readonly FeatureSpec[], options: InputEncoderOptions = {}) {
    super();
    if (!specs.length) throw new Error('InputEncoder: no features given');
    this.idDropout = options.idDropout ?? 0;
    if (!(this.idDropout >= 0 && this.idDropout < 1)) throw new Error(`InputEncoder: idDropout must be in [0, 1), got ${options.idDropout}`);
    this.specs = specs.slice();
    let dim = 0;
    for (const s of specs) {
      if (s.kind === 'numeric') {
        if (!(Number.isInteger(s.width) && s.width >= 1)) throw new Error(`InputEncoder: numeric feature '${s.name}' has width ${s.width}`);
        dim += s.width;
        continue;
      }
      if (!(Number.isInteger(s.cardinality) && s.cardinality >= 1))
        throw new Error(`InputEncoder: ${s.kind} feature '${s.name}' has cardinality ${s.cardinality}`);
      const d = typeof options.embeddingDim === 'function' ? options.embeddingDim(s) : options.embeddingDim ?? defaultDim(s.cardinality);
      const table = s.kind === 'categorical' ? new Embedding(s.cardinality, d) : new EmbeddingBag(s.cardinality, d, { mode: options.bagMode ?? 'mean' });
      // Row 0 is the out-of-vocabulary / missing id (src/data/features.ts). It starts at zero,
      // so a value never trained on adds nothing rather than a random vector, and learns from
      // the rare training values that share it. (Hashed and text ids start at 1: there row 0
      // is missing only, or unused.) Tables are on the CPU at construction.
      (table.weight.buf as Float32Array).fill(0, 0, d);
      // Feature names may contain dots; module names may not.
      this.tables.set(s.name, this.registerModule(`emb_${s.name.replace(/[^A-Za-z0-9_]/g, '_')}`, table));
      dim += d;
    }
    this.outputDim = dim;
  }

  forward(inputs: Record<string, Tensor>): Tensor {
    const parts: Tensor[] = [];
    let rows = -1;
    for (const s of this.specs) {
      const x = inputs[s.name];
      if (!x) throw new Error(`InputEncoder: the batch has no input '${s.name}' (has: ${Object.keys(inputs).join(', ')})`);
      let part: Tensor;
      if (s.kind === 'numeric') {
        if (x.ndim !== 2 || x.shape[1] !== s.width || x.dtype !== 'float32')
          throw new Error(`InputEncoder: numeric feature '${s.name}' must be float32 [B, ${s.width}], got ${x.dtype} [${x.shape}]`);
        part = x;
      } else if (s.kind === 'categorical') {
        if (x.ndim !== 1 || x.dtype !== 'int32') throw new Error(`InputEncoder: categorical feature '${s.name}' must be int32 [B], got ${x.dtype} [${x.shape}]`);
        part = this.tables.get(s.name)!.forward(this.training && this.idDropout > 0 ? this.dropIds(x) : x);
      } else {
        const offsets = inputs[`${s.name}.offsets`];
        if (!offsets) throw new Error(`InputEncoder: ${s.kind} feature '${s.name}' needs '${s.name}.offsets' in the batch`);
        part = this.tables.get(s.name)!.forward(x, offsets, inputs[`${s.name}.weights`]);
      }
      if (rows >= 0 && part.shape[0] !== rows)
        throw new Error(`InputEncoder: feature '${s.name}' has ${part.shape[0]} rows, earlier features ${rows}`);
      rows = part.shape[0];
      parts.push(part);
    }
    return parts.length === 1 ? parts[0] : concat(parts, 1);
  }

  /** A copy of the ids with each replaced by 0 (out of vocabulary) with probability idDropout. */
  private dropIds(x: Tensor): Tensor {
    const ids = Int32Array.from(x.data() as Int32Array);
    for (let i = 0; i < ids.length; i++) if (globalGenerator.uniform() < this.idDropout) ids[i] = 0;
    const out = fromBuffer(ids, x.shape);
    return toDevice(out, x.device);
  }
}
