// Shape ops: reshape (shares storage), transpose/permute (materialised), concat,
// split, slice, indexSelect/gather, squeeze/unsqueeze, broadcastTo.
// Every copy goes through one native strided block copy (`copy_block`), whose
// accumulate mode is also every backward pass.
import type { Tensor } from '../tensor/tensor.js';
import { checkShape, fmt, normAxis, numel, shapesEqual, stridesOf, type Shape } from '../tensor/shape.js';
import { native } from '../native.js';
import { checkInt, checkTensor, empty, record, recordUnary, sameDevice } from './core.js';
import { callKernel } from './kernel-call.js';

type Buf = Tensor['kbuf'];

/** dst[dstOffset + i.dstStrides] (=|+=) src[srcOffset + i.srcStrides] for every i in shape. */
function copyBlock(dst: Buf, dstOffset: number, dstStrides: Shape, src: Buf, srcOffset: number, srcStrides: Shape, shape: Shape, accumulate = false): void {
  native.copy_block(dst, dstOffset, dstStrides, src, srcOffset, srcStrides, shape, accumulate);
}


/** The same data in another shape (no copy). One dim may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor(x, 'reshape');
  if (!Array.isArray(shape)) throw new Error(`reshape: shape must be an array of integers, got ${String(shape)}`);
  let infer = -1;
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < -1)
      throw new Error(`reshape: shape ${JSON.stringify(shape)} has an invalid dimension ${String(d)}`);
    if (d === -1) {
      if (infer >= 0) throw new Error(`reshape: shape ${fmt(shape)} has more than one -1`);
      infer = i;
    }
  });
  const target = shape.slice();
  if (infer >= 0) {
    const known = numel(shape.filter((_, i) => i !== infer));
    if (known === 0 || x.size % known !== 0)
      throw new Error(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
    target[infer] = x.size / known;
  }
  checkShape(target, 'reshape');
  if (numel(target) !== x.size)
    throw new Error(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)} (${numel(target)} elements)`);
  return reshapeAs('reshape', x, target);
}

/** Swaps two dims; with no dims given, reverses all of them (a matrix transpose for 2-D). */
export function transpose(x: Tensor, dim0?: number, dim1?: number): Tensor {
  checkTensor(x, 'transpose');
  const perm = Array.from({ length: x.ndim }, (_, i) => i);
  if (dim0 === undefined && dim1 === undefined) perm.reverse();
  else {
    if (dim0 === undefined || dim1 === undefined) throw new Error('transpose: give both dims or neither');
    const a = normAxis(dim0, x.ndim, 'transpose');
    const b = normAxis(dim1, x.ndim, 'transpose');
    [perm[a], perm[b]] = [perm[b], perm[a]];
  }
  return permuteAs('transpose', x, perm);
}

/** Reorders the dims: output dim i is input dim perm[i] (negative entries count from the end). */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  checkTensor(x, 'permute');
  const bad = () => new Error(`permute: ${JSON.stringify(perm)} is not a permutation of the ${x.ndim} dims of ${fmt(x.shape)}`);
  if (!Array.isArray(perm) || perm.length !== x.ndim) throw bad();
  const p = perm.map((d) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < -x.ndim || d >= x.ndim) throw bad();
    return d < 0 ? d + x.ndim : d;
  });
  if (new Set(p).size !== p.length) throw bad();
  return permuteAs('permute', x, p);
}

function permuteAs(op: string, x: Tensor, perm: number[]): Tensor {
  if (perm.every((d, i) => d === i)) return reshape(x, x.shape);
  const outShape = perm.map((d) => x.shape[d]);
  const xs = stridesOf(x.shape);
  const srcStrides = perm.map((d) => xs[d]);
  const outStrides = stridesOf(outShape);
  const out = empty(outShape, x.device, x.dtype);
  copyBlock(out.kbuf, 0, outStrides, x.kbuf, 0, srcStrides, outShape);
  return recordUnary(out, op, x, (gx, g) => copyBlock(gx.kbuf, 0, srcStrides, g.kbuf, 0, outStrides, outShape, true));
}

/** Joins tensors along `axis`; all other dims must match. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  return concatAs('concat', tensors, axis);
}

function concatAs(op: string, tensors: readonly Tensor[], axis: number): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error(`${op}: expects a non-empty array of tensors`);
  tensors.forEach((t, i) => checkTensor(t, op, `tensor ${i}`));
  const first: Tensor = tensors[0];
  if (first.ndim === 0) throw new Error(`${op}: cannot concatenate scalars (tensor 0 has shape [])`);
  const ax = normAxis(axis, first.ndim, op);
  sameDevice(op, ...tensors);
  tensors.forEach((t: Tensor, i: number) => {
    if (t.dtype !== first.dtype) throw new Error(`${op}: tensor ${i} is ${t.dtype} but tensor 0 is ${first.dtype}`);
    const ok = t.ndim === first.ndim && t.shape.every((d, k) => k === ax || d === first.shape[k]);
    if (!ok)
      throw new Error(`${op}: tensor ${i} has shape ${fmt(t.shape)} but tensor 0 has shape ${fmt(first.shape)}; all dims except axis ${ax} must match`);
  });
  const outShape = first.shape.slice();
  outShape[ax] = tensors.reduce((s, t) => s + t.shape[ax], 0);
  const outStrides = stridesOf(outShape);
  const out = empty(outShape, first.device, first.dtype);
  const offsets: number[] = [];
  let at = 0;
  for (const t of tensors) {
    offsets.push(at * outStrides[ax]);
    copyBlock(out.kbuf, at * outStrides[ax], outStrides, t.kbuf, 0, stridesOf(t.shape), t.shape);
    at += t.shape[ax];
  }
  return record(out, op, tensors, (g, grads) => {
    tensors.forEach((t, i) => {
      const gi = grads.of(i);
      if (gi) copyBlock(gi.kbuf, 0, stridesOf(t.shape), g.kbuf, offsets[i], outStrides, t.shape, true);
    });
  });
}

/** Stacks same-shaped tensors along a new dim `axis`. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error('stack: expects a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor(t, 'stack', `tensor ${i}`));
  const first = tensors[0];
  tensors.forEach((t, i) => {
    if (!shapesEqual(t.shape, first.shape))
      throw new Error(`stack: tensor ${i} has shape ${fmt(t.shape)} but tensor 0 has shape ${fmt(first.shape)}; all must match`);
  });
  const ax = insertAxis(axis, first.ndim, 'stack');
  return concatAs('stack', tensors.map((t) => unsqueeze(t, ax)), ax);
}

/** Splits into pieces of the given sizes (one may be -1), or into `sections` equal pieces. */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  checkTensor(x, 'split');
  const ax = normAxis(axis, x.ndim, 'split');
  const n = x.shape[ax];
  let pieces: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes < 1) throw new Error(`split: the number of sections must be a positive integer, got ${sizes}`);
    if (n % sizes !== 0) throw new Error(`split: dim ${ax} of ${fmt(x.shape)} (size ${n}) does not divide into ${sizes} equal sections`);
    pieces = new Array<number>(sizes).fill(n / sizes);
  } else {
    if (!Array.isArray(sizes)) throw new Error('split: sizes must be a number or an array of integers');
    pieces = sizes.slice();
    const bad = pieces.find((s) => typeof s !== 'number' || !Number.isInteger(s) || s < -1);
    if (bad !== undefined) throw new Error(`split: sizes ${JSON.stringify(sizes)} has an invalid entry ${String(bad)}`);
    const free = pieces.filter((s) => s === -1).length;
    if (free > 1) throw new Error(`split: sizes ${fmt(sizes)} has more than one -1`);
    const known = pieces.reduce((s, p) => (p === -1 ? s : s + p), 0);
    if (free === 1 && known <= n) pieces[pieces.indexOf(-1)] = n - known;
    if (pieces.reduce((s, p) => s + p, 0) !== n)
      throw new Error(`split: sizes ${fmt(sizes)} do not add up to dim ${ax} of ${fmt(x.shape)} (size ${n})`);
  }
  const out: Tensor[] = [];
  let start = 0;
  for (const len of pieces) {
    out.push(narrowAs('split', x, ax, start, len));
    start += len;
  }
  return out;
}

/** The block starting at `begin` with extent `size` (-1 = to the end) along every dim. */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  checkTensor(x, 'slice');
  if (!Array.isArray(begin) || begin.length > x.ndim)
    throw new Error(`slice: begin must be an array of at most ${x.ndim} integers for shape ${fmt(x.shape)}, got ${JSON.stringify(begin)}`);
  if (size !== undefined && (!Array.isArray(size) || size.length > x.ndim))
    throw new Error(`slice: size must be an array of at most ${x.ndim} integers for shape ${fmt(x.shape)}, got ${JSON.stringify(size)}`);
  const b = x.shape.map((_, d) => begin[d] ?? 0);
  const s = x.shape.map((dim, d) => {
    const v = size?.[d] ?? -1;
    return v === -1 ? dim - b[d] : v;
  });
  for (let d = 0; d < x.ndim; d++) {
    const ok = Number.isInteger(b[d]) && Number.isInteger(s[d]) && b[d] >= 0 && s[d] >= 0 && b[d] + s[d] <= x.shape[d];
    if (!ok)
      throw new Error(`slice: begin ${fmt(begin)} with size ${fmt(size ?? [])} is out of range for shape ${fmt(x.shape)} (dim ${d})`);
  }
  return sliceAs('slice', x, b, s);
}

function sliceAs(op: string, x: Tensor, begin: number[], size: number[]): Tensor {
  const xs = stridesOf(x.shape);
  const offset = begin.reduce((acc, b, d) => acc + b * xs[d], 0);
  const outStrides = stridesOf(size);
  const out = empty(size, x.device, x.dtype);
  copyBlock(out.kbuf, 0, outStrides, x.kbuf, offset, xs, size);
  return recordUnary(out, op, x, (gx, g) => copyBlock(gx.kbuf, offset, xs, g.kbuf, 0, outStrides, size, true));
}

/** `length` entries from `start` along one axis. */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  checkTensor(x, 'narrow');
  return narrowAs('narrow', x, normAxis(axis, x.ndim, 'narrow'), start, length);
}

function narrowAs(op: string, x: Tensor, ax: number, start: number, length: number): Tensor {
  const n = x.shape[ax];
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > n)
    throw new Error(`${op}: start ${start} with length ${length} is out of range for dim ${ax} of ${fmt(x.shape)} (size ${n})`);
  const begin = x.shape.map((_, d) => (d === ax ? start : 0));
  const size = x.shape.map((d, k) => (k === ax ? length : d));
  return sliceAs(op, x, begin, size);
}

/** Entries of x at `index` (int32, 1-D) along `axis`; repeated indices add up in the gradient. */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  const op = 'indexSelect';
  checkTensor(x, op);
  checkInt(index, op, 'index');
  if (index.ndim > 1) throw new Error(`${op}: index must be 1-D, got shape ${fmt(index.shape)}`);
  if (x.ndim === 0) throw new Error(`${op}: input must have at least 1 dim, got shape []`);
  const ax = normAxis(axis, x.ndim, op);
  sameDevice(op, x, index);
  const outer = numel(x.shape.slice(0, ax));
  const n = x.shape[ax];
  const inner = numel(x.shape.slice(ax + 1));
  const k = index.size;
  const outShape = x.shape.map((d, i) => (i === ax ? k : d));
  const out = empty(outShape, x.device, x.dtype);
  const where = `axis ${ax} of ${fmt(x.shape)}`;
  callKernel(op, () => native.index_select_forward(out.kbuf, x.kbuf, index.kbuf, outer, n, inner, k), { where });
  return recordUnary(out, op, x, (gx, g) => callKernel(op, () => native.index_select_backward(gx.kbuf, g.kbuf, index.kbuf, outer, n, inner, k), { where }), [index]);
}

/** torch.gather: out[i][j] = x[i][index[i][j]] along `axis`; index has x's rank. */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const op = 'gather';
  checkTensor(x, op);
  checkInt(index, op, 'index');
  if (x.ndim === 0) throw new Error(`${op}: input must have at least 1 dim, got shape []`);
  const ax = normAxis(axis, x.ndim, op);
  sameDevice(op, x, index);
  if (index.ndim !== x.ndim)
    throw new Error(`${op}: index shape ${fmt(index.shape)} must have the same number of dims as input shape ${fmt(x.shape)}`);
  index.shape.forEach((d, i) => {
    if (i !== ax && d > x.shape[i])
      throw new Error(`${op}: index shape ${fmt(index.shape)} does not fit input shape ${fmt(x.shape)} (dim ${i}: ${d} > ${x.shape[i]})`);
  });
  const out = empty(index.shape, x.device, x.dtype);
  const where = `axis ${ax} of ${fmt(x.shape)}`;
  callKernel(op, () => native.gather_forward(out.kbuf, x.kbuf, index.kbuf, index.shape, x.shape, ax), { where });
  return recordUnary(out, op, x, (gx, g) => callKernel(op, () => native.gather_backward(gx.kbuf, g.kbuf, index.kbuf, index.shape, x.shape, ax), { where }), [index]);
}

/** Removes size-1 dims: the given ones (each must have size 1), or all of them. */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  checkTensor(x, 'squeeze');
  let drop: number[];
  if (axis === undefined || axis === null) drop = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  else {
    drop = (typeof axis === 'number' ? [axis] : axis).map((a) => normAxis(a, x.ndim, 'squeeze'));
    for (const a of drop)
      if (x.ndim > 0 && x.shape[a] !== 1) throw new Error(`squeeze: dim ${a} of ${fmt(x.shape)} has size ${x.shape[a]}, not 1`);
  }
  return reshapeAs('squeeze', x, x.shape.filter((_, i) => !drop.includes(i)));
}

/** Inserts a size-1 dim at `axis` (in [-(ndim+1), ndim]). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  checkTensor(x, 'unsqueeze');
  const ax = insertAxis(axis, x.ndim, 'unsqueeze');
  const shape = x.shape.slice();
  shape.splice(ax, 0, 1);
  return reshapeAs('unsqueeze', x, shape);
}

/** A position for a new dim in a tensor of `ndim` dims: [-(ndim+1), ndim]. */
function insertAxis(axis: number, ndim: number, op: string): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -(ndim + 1) || axis > ndim)
    throw new Error(`${op}: axis ${String(axis)} is out of range for inserting a dim into a tensor with ${ndim} dims (expected ${-(ndim + 1)}..${ndim})`);
  return axis < 0 ? axis + ndim + 1 : axis;
}

/** Merges dims startDim..endDim into one (default: all but the first). */
export function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor {
  checkTensor(x, 'flatten');
  if (x.ndim <= 1) return reshapeAs('flatten', x, [x.size]);
  const s = normAxis(startDim, x.ndim, 'flatten');
  const e = normAxis(endDim, x.ndim, 'flatten');
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim} for shape ${fmt(x.shape)}`);
  return reshapeAs('flatten', x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

function reshapeAs(op: string, x: Tensor, shape: number[]): Tensor {
  const out = x.withShape(shape);
  return recordUnary(out, op, x, (gx, g) => native.axpy(gx.kbuf, g.kbuf, 1, g.size));
}

/** A materialised NumPy broadcast of x to `shape`; the gradient sums back. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor(x, 'broadcastTo');
  const target = checkShape(shape, 'broadcastTo');
  const lead = target.length - x.ndim;
  const fits = lead >= 0 && x.shape.every((d, i) => d === target[lead + i] || d === 1);
  if (!fits) throw new Error(`broadcastTo: cannot broadcast ${fmt(x.shape)} to ${fmt(target)}`);
  const own = stridesOf(x.shape);
  const srcStrides = target.map((d, i) => (i < lead || x.shape[i - lead] === 1 ? 0 : own[i - lead]));
  // Dims the gradient sums over: new leading dims and stretched size-1 dims.
  const axes = target.flatMap((d, i) => (i < lead || (x.shape[i - lead] === 1 && d !== 1) ? [i] : []));
  const out = empty(target, x.device, x.dtype);
  copyBlock(out.kbuf, 0, stridesOf(target), x.kbuf, 0, srcStrides, target);
  return record(out, 'broadcastTo', [x], (g, grads) => {
    const gx = grads.of(0);
    if (!gx) return;
    // The kept dims of `target` are laid out exactly as x's elements.
    const summed = empty(x.shape, x.device);
    native.sum_forward(summed.kbuf, g.kbuf, target, axes, 1);
    native.axpy(gx.kbuf, summed.kbuf, 1, x.size);
    summed.dispose();
  });
}
