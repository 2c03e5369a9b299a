// Embedding tables: one row per id, looked up by int32 indices.
import type { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/creation.js';
import { embedding, embeddingBag } from '../../ops/embedding.js';
import { Module } from '../module.js';
import { normal_ } from '../init.js';
import { checkPositiveInt } from './check.js';

export class Embedding extends Module {
  weight: Tensor;
  constructor(readonly numEmbeddings: number, readonly dim: number) {
    super();
    checkPositiveInt(numEmbeddings, 'Embedding', 'numEmbeddings');
    checkPositiveInt(dim, 'Embedding', 'dim');
    this.weight = this.registerParameter('weight', normal_(zeros([numEmbeddings, dim])));
  }
  /** int32 indices of any shape -> [...indices.shape, dim]. */
  forward(indices: Tensor): Tensor {
    return embedding(this.weight, indices);
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.dim}`;
  }
}

/** Sums or means of bags of rows (multi-valued categorical features). */
export class EmbeddingBag extends Module {
  weight: Tensor;
  readonly mode: 'sum' | 'mean';
  constructor(readonly numEmbeddings: number, readonly dim: number, { mode = 'mean' }: { mode?: 'sum' | 'mean' } = {}) {
    super();
    checkPositiveInt(numEmbeddings, 'EmbeddingBag', 'numEmbeddings');
    checkPositiveInt(dim, 'EmbeddingBag', 'dim');
    if (mode !== 'sum' && mode !== 'mean') throw new Error(`EmbeddingBag: mode must be 'sum' or 'mean', got ${JSON.stringify(mode)}`);
    this.mode = mode;
    this.weight = this.registerParameter('weight', normal_(zeros([numEmbeddings, dim])));
  }
  /** indices: flat int32 list; offsets [B]: where each bag starts. Returns [B, dim]. */
  forward(indices: Tensor, offsets: Tensor, perIndexWeights?: Tensor | null): Tensor {
    return embeddingBag(this.weight, indices, offsets, this.mode, perIndexWeights);
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.dim}, mode=${this.mode}`;
  }
}
