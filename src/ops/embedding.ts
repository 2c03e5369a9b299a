// Embedding lookups: gather rows forward, scatter-add rows backward. An index outside
// [0, vocab) is an error naming the index and the vocabulary size.
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { native } from '../native.js';
import { checkFloat, checkInt, empty, record, sameDevice } from './core.js';
import { callKernel } from './kernel-call.js';

function checkTable(op: string, weight: Tensor): [number, number] {
  checkFloat(weight, op, 'weight');
  if (weight.ndim !== 2) throw new Error(`${op}: weight must be 2-D [vocab, dim], got ${fmt(weight.shape)}`);
  return [weight.shape[0], weight.shape[1]];
}

/** weight [V, D], int32 indices of any shape -> [...indices.shape, D]. */
export function embedding(weight: Tensor, indices: Tensor): Tensor {
  const op = 'embedding';
  const [vocab, dim] = checkTable(op, weight);
  checkInt(indices, op, 'indices');
  const device = sameDevice(op, weight, indices);
  const n = indices.size;
  const out = empty([...indices.shape, dim], device);
  callKernel(op, () => native.embedding_forward(out.kbuf, weight.kbuf, indices.kbuf, n, vocab, dim), { dispose: [out] });
  return record(
    out,
    op,
    [weight],
    (g, grads) => {
      const gw = grads.of(0);
      if (gw) callKernel(op, () => native.embedding_backward(gw.kbuf, g.kbuf, indices.kbuf, n, vocab, dim));
    },
    [indices],
  );
}

/**
 * Sums or means of bags of rows: `indices` is a flat int32 list, `offsets` [B] the start
 * of each bag in it (offsets[0] = 0, non-decreasing; the last bag runs to the end);
 * optional per-index weights scale each row (in 'mean' mode the weighted sum is divided
 * by the bag's size). Returns [B, D]. Empty bags give zeros. Gradients flow to weight
 * and to perIndexWeights.
 */
export function embeddingBag(weight: Tensor, indices: Tensor, offsets: Tensor, mode: 'sum' | 'mean' = 'mean', perIndexWeights?: Tensor | null): Tensor {
  const op = 'embeddingBag';
  const [vocab, dim] = checkTable(op, weight);
  checkInt(indices, op, 'indices');
  checkInt(offsets, op, 'offsets');
  if (indices.ndim !== 1) throw new Error(`${op}: indices must be 1-D (a flat list), got ${fmt(indices.shape)}`);
  if (offsets.ndim !== 1) throw new Error(`${op}: offsets must be 1-D [bags], got ${fmt(offsets.shape)}`);
  if (mode !== 'sum' && mode !== 'mean') throw new Error(`${op}: mode must be 'sum' or 'mean', got ${JSON.stringify(mode)}`);
  const per = perIndexWeights ?? null;
  if (per) {
    checkFloat(per, op, 'perIndexWeights');
    if (per.ndim !== 1 || per.size !== indices.size)
      throw new Error(`${op}: perIndexWeights ${fmt(per.shape)} must match indices ${fmt(indices.shape)}`);
  }
  const device = sameDevice(op, weight, indices, offsets, per);
  const n = indices.size;
  const bags = offsets.size;
  const mean = mode === 'mean';
  const out = empty([bags, dim], device);
  callKernel(op, () => native.embedding_bag_forward(out.kbuf, weight.kbuf, indices.kbuf, offsets.kbuf, per?.kbuf ?? null, n, bags, vocab, dim, mean), { dispose: [out] });
  const inputs = per ? [weight, per] : [weight];
  return record(
    out,
    op,
    inputs,
    (g, grads) => {
      const gw = grads.of(0);
      const gp = per ? grads.of(1) : null;
      if (gw || gp)
        callKernel(op, () =>
          native.embedding_bag_backward(gw?.kbuf ?? null, gp?.kbuf ?? null, g.kbuf, weight.kbuf, indices.kbuf, offsets.kbuf, per?.kbuf ?? null, n, bags, vocab, dim, mean),
        );
    },
    [weight, indices, offsets],
  );
}
