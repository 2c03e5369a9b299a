// Matrix products: matmul (1-D, 2-D and batched with broadcast batch dims) and linear
// (x @ w^T + b, one fused kernel), each with its gradient.
import type { Tensor } from '../tensor/tensor.js';
import type { GradSink } from '../autograd/node.js';
import { broadcastShapes, broadcastStrides, fmt, numel } from '../tensor/shape.js';
import { native } from '../native.js';
import { checkFloat, empty, record, sameDevice } from './core.js';

/**
 * a @ b with NumPy/PyTorch semantics: 2-D is a matrix product; a 1-D operand is a
 * vector (its dim is dropped from the result); more dims are batch dims, broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkFloat(a, 'matmul', 'first operand');
  checkFloat(b, 'matmul', 'second operand');
  const device = sameDevice('matmul', a, b);
  if (a.ndim === 0 || b.ndim === 0)
    throw new Error(`matmul: both operands need at least 1 dimension, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const aShape = a.ndim === 1 ? [1, a.shape[0]] : a.shape;
  const bShape = b.ndim === 1 ? [b.shape[0], 1] : b.shape;
  const m = aShape[aShape.length - 2], k = aShape[aShape.length - 1];
  const kb = bShape[bShape.length - 2], n = bShape[bShape.length - 1];
  if (k !== kb) throw new Error(`matmul: shapes ${fmt(a.shape)} and ${fmt(b.shape)} do not match (${k} != ${kb})`);
  const batchA = aShape.slice(0, -2), batchB = bShape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB, 'matmul');
  const nb = numel(batch);
  const outShape = [...batch, ...(a.ndim === 1 ? [] : [m]), ...(b.ndim === 1 ? [] : [n])];
  const out = empty(outShape, device, 'float32', false, 'matmul');

  const strideOf = (own: readonly number[], size: number): number | null =>
    numel(own) === 1 ? 0 : numel(own) === nb ? size : null;
  const sa = strideOf(batchA, m * k), sb = strideOf(batchB, k * n);
  const uniform = sa !== null && sb !== null;
  // Partial broadcasts (e.g. [2,1,m,k] @ [3,k,n]) loop over batch entries with offsets.
  const offsets = (): [number, number][] => {
    const stA = broadcastStrides(batchA, batch), stB = broadcastStrides(batchB, batch);
    const res: [number, number][] = [];
    const idx = new Array<number>(batch.length).fill(0);
    for (let i = 0; i < nb; i++) {
      let oa = 0, ob = 0;
      for (let d = 0; d < batch.length; d++) { oa += idx[d] * stA[d]; ob += idx[d] * stB[d]; }
      res.push([oa * m * k, ob * k * n]);
      for (let d = batch.length - 1; d >= 0; d--) { if (++idx[d] < batch[d]) break; idx[d] = 0; }
    }
    return res;
  };

  if (uniform) native.matmul_forward(out.kbuf, a.kbuf, b.kbuf, nb, m, n, k, sa, sb);
  else offsets().forEach(([oa, ob], i) => native.gemm(false, false, m, n, k, 1, a.kbuf, oa, k, b.kbuf, ob, n, 0, out.kbuf, i * m * n, n));

  return record(
    out,
    'matmul',
    [a, b],
    (g, grads) => {
      const ga = grads.of(0), gb = grads.of(1);
      if (!ga && !gb) return;
      if (uniform) {
        native.matmul_backward(ga?.kbuf ?? null, gb?.kbuf ?? null, g.kbuf, a.kbuf, b.kbuf, nb, m, n, k, sa, sb);
        return;
      }
      offsets().forEach(([oa, ob], i) => {
        if (ga) native.gemm(false, true, m, k, n, 1, g.kbuf, i * m * n, n, b.kbuf, ob, n, 1, ga.kbuf, oa, k);
        if (gb) native.gemm(true, false, k, n, m, 1, a.kbuf, oa, k, g.kbuf, i * m * n, n, 1, gb.kbuf, ob, n);
      });
    },
    [a, b],
  );
}

/**
 * x @ w^T + b with w of shape [out, in], as nn.Linear computes it; x is [..., in]. The
 * bias is added inside the matmul while each block of the result is still in cache.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkFloat(x, 'linear', 'input');
  checkFloat(weight, 'linear', 'weight');
  if (bias) checkFloat(bias, 'linear', 'bias');
  const device = sameDevice('linear', x, weight, bias);
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-D [out, in], got ${fmt(weight.shape)}`);
  if (x.ndim < 1) throw new Error(`linear: input must have at least 1 dimension, got ${fmt(x.shape)}`);
  const [n, k] = weight.shape;
  const kx = x.shape[x.ndim - 1];
  if (kx !== k)
    throw new Error(`linear: input ${fmt(x.shape)} has ${kx} features but weight ${fmt(weight.shape)} expects ${k}`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== n))
    throw new Error(`linear: bias must have shape [${n}] to match weight ${fmt(weight.shape)}, got ${fmt(bias.shape)}`);
  const m = x.size / Math.max(k, 1);
  const rows = k === 0 ? numel(x.shape.slice(0, -1)) : m;
  const out = empty([...x.shape.slice(0, -1), n], device, 'float32', false, 'linear');
  native.linear_forward(out.kbuf, x.kbuf, weight.kbuf, bias ? bias.kbuf : null, rows, n, k, 0);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(
    out,
    'linear',
    inputs,
    (g, grads) => {
      if (device === 'cpu') return groupedBackward(grads, !!bias, g, x, weight, null, rows, 1, n, k);
      const gx = grads.of(0), gw = grads.of(1), gb = bias ? grads.of(2) : null;
      if (gx || gw || gb) native.linear_backward(gx?.kbuf ?? null, gw?.kbuf ?? null, gb?.kbuf ?? null, g.kbuf, x.kbuf, weight.kbuf, rows, n, k);
    },
    inputs,
  );
}

/**
 * The CPU backward of linear, linearRelu and groupedLinear: a gradient buffer receiving
 * its first contribution is written by the product (beta = 0) instead of zero-filled and
 * accumulated into.
 */
function groupedBackward(grads: GradSink, hasBias: boolean, g: Tensor, x: Tensor, weight: Tensor, out: Tensor | null, rows: number, groups: number, n: number, k: number): void {
  const gx = grads.write(0), gw = grads.write(1), gb = hasBias ? grads.write(2) : null;
  if (!gx && !gw && !gb) return;
  const overwrite = (gx?.overwrite ? 1 : 0) | (gw?.overwrite ? 2 : 0) | (gb?.overwrite ? 4 : 0);
  native.grouped_linear_backward(gx?.buf.kbuf ?? null, gw?.buf.kbuf ?? null, gb?.buf.kbuf ?? null, g.kbuf, x.kbuf, weight.kbuf, out ? out.kbuf : null, rows, groups, n, k, overwrite);
}

/**
 * relu(x @ w^T + b) in one product, the bias and the relu applied while each block of the
 * result is in cache; its backward masks the incoming gradient in place (the gradient
 * buffer the autograd engine hands a node is its own) and runs linear's products. CPU
 * tensors only: callers compose relu(linear(...)) on a device.
 */
export function linearRelu(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return groupedLinear(x, weight, bias ?? null, 1, true, 'linearRelu');
}

/**
 * G linear layers side by side (the layers of G parallel experts): with x [..., G*k] and
 * weight [G*n, k] (G blocks of [n, k], one per group, as concat of the groups' weights
 * along dim 0 lays them out), group e reads x's column block e and writes out's column
 * block e: out[..., e*n:(e+1)*n] = act(x[..., e*k:(e+1)*k] @ w_e^T + b_e), act relu when
 * `relu`. bias is [G*n]. CPU tensors only.
 */
export function groupedLinear(x: Tensor, weight: Tensor, bias: Tensor | null, groups: number, relu: boolean, op = 'groupedLinear'): Tensor {
  checkFloat(x, op, 'input');
  checkFloat(weight, op, 'weight');
  if (bias) checkFloat(bias, op, 'bias');
  const device = sameDevice(op, x, weight, bias);
  if (device !== 'cpu') throw new Error(`${op}: runs on CPU tensors only, got ${device}`);
  if (!(Number.isInteger(groups) && groups >= 1)) throw new Error(`${op}: groups must be a positive integer, got ${groups}`);
  if (weight.ndim !== 2 || weight.shape[0] % groups !== 0)
    throw new Error(`${op}: weight must be 2-D [groups*out, in] with groups = ${groups}, got ${fmt(weight.shape)}`);
  if (x.ndim < 1) throw new Error(`${op}: input must have at least 1 dimension, got ${fmt(x.shape)}`);
  const n = weight.shape[0] / groups, k = weight.shape[1];
  const kx = x.shape[x.ndim - 1];
  if (kx !== groups * k)
    throw new Error(`${op}: input ${fmt(x.shape)} has ${kx} features but ${groups} group(s) of weight ${fmt(weight.shape)} expect ${groups * k}`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== groups * n))
    throw new Error(`${op}: bias must have shape [${groups * n}] to match weight ${fmt(weight.shape)}, got ${fmt(bias.shape)}`);
  const rows = numel(x.shape.slice(0, -1));
  const out = empty([...x.shape.slice(0, -1), groups * n], device, 'float32', false, op);
  const act = relu ? 1 : 0;
  native.grouped_linear_forward(out.kbuf, x.kbuf, weight.kbuf, bias ? bias.kbuf : null, rows, groups, n, k, act);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(
    out,
    op,
    inputs,
    (g, grads) => groupedBackward(grads, !!bias, g, x, weight, relu ? out : null, rows, groups, n, k),
    relu ? [...inputs, out] : inputs,
  );
}
