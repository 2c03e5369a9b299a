// Helpers every op file uses: checking inputs, making outputs, scalars as tensors,
// copies and device moves.
import { Tensor, copyToDevice } from '../tensor/tensor.js';
import type { Device, DType } from '../tensor/dtype.js';
import type { HostArray } from '../tensor/storage.js';
import { fmt, type Shape } from '../tensor/shape.js';
import { native } from '../native.js';
import { record, recordUnary } from '../autograd/engine.js';

export { record, recordUnary, needsGrad, noGrad } from '../autograd/engine.js';

/** Checks that x is a live Tensor, naming the op and argument otherwise. */
export function checkTensor(x: unknown, op: string, arg = 'input'): Tensor {
  if (!(x instanceof Tensor))
    throw new Error(`${op}: ${arg} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.isDisposed) throw new Error(`${op}: ${arg} ${x.describe()} was already disposed`);
  return x;
}

export function checkFloat(x: Tensor, op: string, arg = 'input'): Tensor {
  checkTensor(x, op, arg);
  if (x.dtype !== 'float32') throw new Error(`${op}: ${arg} must be float32, got ${x.dtype} ${x.describe()}`);
  return x;
}

export function checkInt(x: Tensor, op: string, arg = 'indices'): Tensor {
  checkTensor(x, op, arg);
  if (x.dtype !== 'int32') throw new Error(`${op}: ${arg} must be int32, got ${x.dtype} ${x.describe()}`);
  return x;
}

/** Checks that all tensors share one device; returns it. */
export function sameDevice(op: string, ...ts: (Tensor | null | undefined)[]): Device {
  let device: Device | null = null;
  for (const t of ts) {
    if (!t) continue;
    if (device === null) device = t.device;
    else if (t.device !== device)
      throw new Error(`${op}: tensors are on different devices (${device} and ${t.device}); move them with .to('${device}')`);
  }
  return device ?? 'cpu';
}

/**
 * A new float32 (or given dtype) output on `device`; zero-filled when `zero`. `op` names
 * the operation when the memory cannot be had.
 */
export function empty(shape: Shape, device: Device = 'cpu', dtype: DType = 'float32', zero = false, op?: string): Tensor {
  return Tensor.empty(shape, dtype, device, zero, op);
}

/** A number becomes a scalar tensor on `device`; a tensor passes through. */
export function asTensor(x: Tensor | number, device: Device, op: string): Tensor {
  if (typeof x === 'number') {
    const t = Tensor.empty([], 'float32', device);
    native.fill(t.kbuf, x, 1);
    return t;
  }
  return checkTensor(x, op, 'operand');
}

/** A copy with its own storage; differentiable. */
export function clone(x: Tensor): Tensor {
  checkTensor(x, 'clone');
  const out = copyOf(x);
  return recordUnary(out, 'clone', x, (gx, g) => native.axpy(gx.kbuf, g.kbuf, 1, g.size));
}

function copyOf(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape, x.dtype, x.device);
  if (x.device === 'cpu') (out.buf as HostArray).set((x.buf as HostArray).subarray(0, x.size));
  // An exact copy of either dtype: a zero fill plus axpy would turn -0 into +0, flush
  // denormals, and not copy int32 at all.
  else if (x.size > 0) native.copy_block(out.kbuf, 0, [1], x.kbuf, 0, [1], [x.size], false);
  return out;
}

/** Moves a tensor to a device (a copy; differentiable). Same device returns x itself. */
export function toDevice(x: Tensor, device: Device): Tensor {
  checkTensor(x, 'to');
  if (device !== 'cpu' && device !== 'cuda') throw new Error(`to: unknown device ${JSON.stringify(device)} (expected 'cpu' or 'cuda')`);
  if (x.device === device) return x;
  const out = copyToDevice(x, device);
  const from = x.device;
  return record(out, 'to', [x], (g, grads) => grads.add(0, toDevice(g, from)));
}

/** Converts between float32 and int32 (float to int truncates toward zero). */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor(x, 'cast');
  if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`cast: unknown dtype ${JSON.stringify(dtype)}`);
  if (x.dtype === dtype) return x;
  if (x.device !== 'cpu') return toDevice(cast(toDevice(x, 'cpu'), dtype), x.device);
  const out = Tensor.empty(x.shape, dtype, 'cpu');
  const src = x.buf;
  const dst = out.buf;
  for (let i = 0; i < x.size; i++) dst[i] = dtype === 'int32' ? Math.trunc(src[i]) : src[i];
  return out;
}

export function describeShapes(...ts: Tensor[]): string {
  return ts.map((t) => fmt(t.shape)).join(' and ');
}
