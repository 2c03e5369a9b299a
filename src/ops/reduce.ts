// Reductions over any set of axes, with keepdims: sum, mean, max/min, argmax/argmin, var.
// One native description serves them all: the input shape plus the reduced axes.
import type { Tensor } from '../tensor/tensor.js';
import { fmt, normAxes, normAxis } from '../tensor/shape.js';
import { native } from '../native.js';
import { checkFloat, empty, record, recordUnary } from './core.js';

/** Axes to reduce: one, several, or (undefined/null) all of them. `[]` reduces nothing. */
export type Axes = number | readonly number[] | null | undefined;

interface Reduction {
  axes: number[];
  outShape: number[];
  /** Elements folded into each output. */
  count: number;
}

function plan(x: Tensor, axes: Axes, keepdims: boolean, op: string): Reduction {
  checkFloat(x, op);
  if (typeof keepdims !== 'boolean') throw new Error(`${op}: keepdims must be a boolean, got ${String(keepdims)}`);
  // A scalar has no dims; axis 0 / -1 on it (as in PyTorch) reduces nothing.
  const ax = normAxes(axes, x.ndim, op).filter((a) => a < x.ndim);
  const outShape: number[] = [];
  let count = 1;
  x.shape.forEach((d, i) => {
    if (ax.includes(i)) {
      count *= d;
      if (keepdims) outShape.push(1);
    } else outShape.push(d);
  });
  return { axes: ax, outShape, count };
}

function describe(x: Tensor, r: Reduction): string {
  return `shape ${fmt(x.shape)}, axes ${fmt(r.axes)}`;
}

function scaledSum(op: string, x: Tensor, axes: Axes, keepdims: boolean, average: boolean): Tensor {
  const r = plan(x, axes, keepdims, op);
  const out = empty(r.outShape, x.device);
  if (average && r.count === 0 && out.size > 0)
    throw new Error(`${op}: cannot average over zero elements (${describe(x, r)})`);
  const scale = average ? 1 / r.count : 1;
  native.sum_forward(out.kbuf, x.kbuf, x.shape, r.axes, scale);
  return recordUnary(out, op, x, (gx, g) => native.sum_backward(gx.kbuf, g.kbuf, x.shape, r.axes, scale));
}

function extreme(op: string, isMax: boolean, x: Tensor, axes: Axes, keepdims: boolean, wantValues: boolean): { values: Tensor | null; index: Tensor } {
  const r = plan(x, axes, keepdims, op);
  const index = empty(r.outShape, x.device, 'int32');
  if (r.count === 0 && index.size > 0) throw new Error(`${op}: cannot reduce over zero elements (${describe(x, r)})`);
  const values = wantValues ? empty(r.outShape, x.device) : null;
  native.extreme_forward(isMax, values?.kbuf ?? null, index.kbuf, x.kbuf, x.shape, r.axes);
  if (values)
    record(
      values,
      op,
      [x],
      (g, grads) => {
        const gx = grads.of(0);
        if (gx) native.extreme_backward(gx.kbuf, g.kbuf, index.kbuf, x.shape, r.axes);
      },
      [index],
    );
  return { values, index };
}

/** Sum over `axes` (all by default); the sum of no elements is 0. Accumulates in double. */
export function sum(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return scaledSum('sum', x, axes, keepdims, false);
}

/** Mean over `axes` (all by default). The mean of no elements is an error. */
export function mean(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return scaledSum('mean', x, axes, keepdims, true);
}

/** Largest value over `axes`; the gradient goes to the first largest element. NaN propagates. */
export function max(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return extreme('max', true, x, axes, keepdims, true).values!;
}

/** Smallest value over `axes`; the gradient goes to the first smallest element. NaN propagates. */
export function min(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return extreme('min', false, x, axes, keepdims, true).values!;
}

function argExtreme(op: string, isMax: boolean, x: Tensor, axis: number | undefined, keepdims: boolean): Tensor {
  checkFloat(x, op);
  if (axis !== undefined && axis !== null) normAxis(axis, x.ndim, op);
  return extreme(op, isMax, x, axis ?? null, keepdims, false).index;
}

/** int32 index of the first largest element along `axis` (of the flattened tensor by default). */
export function argmax(x: Tensor, axis?: number, keepdims = false): Tensor {
  return argExtreme('argmax', true, x, axis, keepdims);
}

/** int32 index of the first smallest element along `axis` (of the flattened tensor by default). */
export function argmin(x: Tensor, axis?: number, keepdims = false): Tensor {
  return argExtreme('argmin', false, x, axis, keepdims);
}

/** Variance; `correction` 1 is the unbiased estimate (PyTorch's default), 0 the population one. */
export function variance(x: Tensor, axes?: Axes, keepdims = false, correction = 1): Tensor {
  const op = 'var';
  const r = plan(x, axes, keepdims, op);
  if (typeof correction !== 'number' || !Number.isFinite(correction) || correction < 0)
    throw new Error(`${op}: correction must be a non-negative number, got ${String(correction)}`);
  const out = empty(r.outShape, x.device);
  if (out.size > 0 && r.count <= correction)
    throw new Error(`${op}: needs more than ${correction} element(s) per output for correction ${correction}, got ${r.count} (${describe(x, r)})`);
  const meanBuf = empty(r.outShape, x.device);
  native.var_forward(out.kbuf, meanBuf.kbuf, x.kbuf, x.shape, r.axes, correction);
  return recordUnary(out, op, x, (gx, g) => native.var_backward(gx.kbuf, g.kbuf, x.kbuf, meanBuf.kbuf, x.shape, r.axes, correction), [x, meanBuf]);
}
