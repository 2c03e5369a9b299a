// Embedding lookups: gather rows forward, scatter-add rows backward.
import type { Tensor } from '../tensor/tensor.js';
import { notImplemented } from './stub.js';

/** weight [V, D], int32 indices of any shape -> [...indices.shape, D]. */
export function embedding(weight: Tensor, indices: Tensor): Tensor { return notImplemented('embedding'); }

/**
 * Sums or means of bags of rows: `indices` is a flat int32 list, `offsets` [B] the start
 * of each bag in it; optional per-index weights. Returns [B, D]. Empty bags give zeros.
 */
export function embeddingBag(weight: Tensor, indices: Tensor, offsets: Tensor, mode: 'sum' | 'mean' = 'mean', perIndexWeights?: Tensor | null): Tensor { return notImplemented('embeddingBag'); }
