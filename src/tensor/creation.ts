// Tensor factories: tensor(), zeros, ones, full, arange, rand, randn, randint, eye.
import { Tensor, copyToDevice } from './tensor.js';
import { checkDevice, checkDtype, type Device, type DType } from './dtype.js';
import { checkShape, fmt, numel } from './shape.js';
import { Storage } from './storage.js';
import { globalGenerator } from './random.js';

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

type Nested = number | boolean | readonly Nested[];

function inferShape(data: Nested, where: string): number[] {
  const shape: number[] = [];
  let cur: Nested = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

function flattenInto(data: Nested, shape: number[], dim: number, out: number[], where: string): void {
  if (dim === shape.length) {
    if (typeof data === 'boolean') out.push(data ? 1 : 0);
    else if (typeof data === 'number') out.push(data);
    else throw new Error(`${where}: expected a number at depth ${dim}, got ${Array.isArray(data) ? 'an array' : typeof data}`);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim])
    throw new Error(`${where}: ragged nested array: expected length ${shape[dim]} at depth ${dim}, got ${Array.isArray(data) ? data.length : typeof data}`);
  for (const d of data) flattenInto(d, shape, dim + 1, out, where);
}

function finish(t: Tensor, opts: TensorOptions, where: string): Tensor {
  const device = checkDevice(opts.device ?? 'cpu', where);
  let out = t;
  if (device !== 'cpu') {
    out = copyToDevice(t, device);
    t.dispose();
  }
  if (opts.requiresGrad) out.requiresGrad_();
  return out;
}

function hostTensor(shape: readonly number[], dtype: DType, op: string): Tensor {
  return Tensor.empty(shape, dtype, 'cpu', false, op);
}

/**
 * A tensor from nested arrays, a typed array or a plain number array. `shape` reshapes
 * flat data; the dtype defaults to int32 for an Int32Array and float32 otherwise.
 */
export function tensor(
  data: Nested | Float32Array | Int32Array | Float64Array | Uint8Array | readonly number[],
  shape?: readonly number[] | null,
  options: TensorOptions = {},
): Tensor {
  const where = 'tensor';
  const dtype = checkDtype(options.dtype ?? (data instanceof Int32Array ? 'int32' : 'float32'), where);
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (ArrayBuffer.isView(data)) {
    flat = data as ArrayLike<number>;
    inferred = [flat.length];
  } else if (typeof data === 'number' || typeof data === 'boolean') {
    flat = [Number(data)];
    inferred = [];
  } else if (Array.isArray(data)) {
    inferred = inferShape(data as Nested, where);
    const out: number[] = [];
    flattenInto(data as Nested, inferred, 0, out, where);
    flat = out;
  } else {
    throw new Error(`${where}: data must be a number, a (nested) array or a typed array, got ${data === null ? 'null' : typeof data}`);
  }
  const finalShape = shape ? checkShape(shape, where) : inferred;
  if (numel(finalShape) !== flat.length)
    throw new Error(`${where}: ${flat.length} values do not fill shape ${fmt(finalShape)} (${numel(finalShape)} elements)`);
  const t = hostTensor(finalShape, dtype, where);
  const buf = t.buf;
  if (dtype === 'int32') {
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (!Number.isInteger(v)) throw new Error(`${where}: int32 data must be whole numbers, found ${v} at index ${i}`);
      buf[i] = v;
    }
  } else buf.set(flat);
  return finish(t, options, where);
}

export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  return filled('full', shape, value, options);
}

export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return filled('zeros', shape, 0, options);
}

export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return filled('ones', shape, 1, options);
}

// full() under the name the caller used, for errors.
function filled(op: string, shape: readonly number[], value: number, options: TensorOptions): Tensor {
  const s = checkShape(shape, op);
  if (typeof value !== 'number') throw new Error(`${op}: value must be a number, got ${typeof value}`);
  const t = hostTensor(s, checkDtype(options.dtype ?? 'float32', op), op);
  t.buf.fill(value);
  return finish(t, options, op);
}

export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return zeros(t.shape, { dtype: t.dtype, device: t.device, ...options });
}

export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return ones(t.shape, { dtype: t.dtype, device: t.device, ...options });
}

/** [start, start+step, ...) below end; arange(n) is 0..n-1. */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (![start, end, step].every(Number.isFinite)) throw new Error('arange: start, end and step must be finite numbers');
  if (step === 0) throw new Error('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const allInt = [start, end, step].every(Number.isInteger);
  const t = hostTensor([n], checkDtype(options.dtype ?? (allInt ? 'int32' : 'float32'), 'arange'), 'arange');
  for (let i = 0; i < n; i++) t.buf[i] = start + i * step;
  return finish(t, options, 'arange');
}

/** A float32 tensor of `shape`, each element drawn by `draw` (from the global generator), in order. */
function drawn(shape: readonly number[], options: TensorOptions, op: string, draw: () => number): Tensor {
  const t = hostTensor(checkShape(shape, op), 'float32', op);
  const b = t.buf;
  for (let i = 0; i < b.length; i++) b[i] = draw();
  return finish(t, options, op);
}

/** Uniform in [low, high). */
export function rand(shape: readonly number[], options: TensorOptions & { low?: number; high?: number } = {}): Tensor {
  const lo = options.low ?? 0;
  const hi = options.high ?? 1;
  return drawn(shape, options, 'rand', () => lo + (hi - lo) * globalGenerator.uniform());
}

/** Normal with the given mean and std (standard by default). */
export function randn(shape: readonly number[], options: TensorOptions & { mean?: number; std?: number } = {}): Tensor {
  const mean = options.mean ?? 0;
  const std = options.std ?? 1;
  return drawn(shape, options, 'randn', () => mean + std * globalGenerator.normal());
}

/** Integers in [low, high), int32. */
export function randint(low: number, high: number, shape: readonly number[], options: TensorOptions = {}): Tensor {
  const s = checkShape(shape, 'randint');
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low)
    throw new Error(`randint: need integers low < high, got ${low} and ${high}`);
  const t = hostTensor(s, checkDtype(options.dtype ?? 'int32', 'randint'), 'randint');
  const b = t.buf;
  for (let i = 0; i < b.length; i++) b[i] = globalGenerator.int(low, high);
  return finish(t, options, 'randint');
}

/** The n x n identity. */
export function eye(n: number, options: TensorOptions = {}): Tensor {
  const t = zeros([n, n], { ...options, device: 'cpu', requiresGrad: false });
  for (let i = 0; i < n; i++) t.buf[i * n + i] = 1;
  return finish(t, options, 'eye');
}

/** Wraps an existing typed array without copying (CPU). */
export function fromBuffer(data: Float32Array | Int32Array, shape: readonly number[]): Tensor {
  const s = checkShape(shape, 'fromBuffer');
  if (numel(s) !== data.length) throw new Error(`fromBuffer: ${data.length} values do not fill shape ${fmt(s)}`);
  const dtype: DType = data instanceof Int32Array ? 'int32' : 'float32';
  return new Tensor(new Storage(data, dtype, data.length, 'cpu'), s);
}
