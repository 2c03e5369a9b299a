// The Tensor: shape, dtype, device and reference-counted storage, plus the autograd
// fields. It depends on nothing above src/tensor: the op methods (x.add(y), x.matmul(w),
// x.backward(), x.to('cuda'), ...) are attached by src/ops/tensor-methods.ts, declared
// there by declaration merging, as tfjs attaches its chained ops.
import type { GradNode } from '../autograd/node.js';
import type { Device, DType } from './dtype.js';
import { deviceMemory, type HostArray, Storage, allocStorage } from './storage.js';
import { fmt, numel, type Shape } from './shape.js';
import { keep, track } from './scope.js';
import { formatTensor } from './format.js';

let nextId = 1;

export class Tensor {
  readonly __isTensor = true;
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly size: number;
  /** Set by users on leaves; propagated to op results. */
  requiresGrad = false;
  /** The accumulated gradient of a leaf after backward(). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, when recorded for autograd. */
  gradFn: GradNode | null = null;
  /** A label for error messages and parameter names. */
  name?: string;
  private _storage: Storage | null;

  constructor(storage: Storage, shape: Shape) {
    this._storage = storage;
    this.shape = Object.freeze(shape.slice());
    this.size = numel(shape);
    track(this);
  }

  /**
   * An uninitialised (or, with zero, zero-filled) tensor from the allocator cache; `op`
   * names the operation in the error when the memory cannot be had.
   */
  static empty(shape: Shape, dtype: DType = 'float32', device: Device = 'cpu', zero = false, op = 'allocating a tensor'): Tensor {
    return new Tensor(allocStorage(dtype, numel(shape), device, zero, () => `${op}: ${fmt(shape)} ${dtype}`), shape);
  }

  get dtype(): DType {
    return this.storage.dtype;
  }
  get device(): Device {
    return this.storage.device;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this._storage === null || this._storage.data === null;
  }
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** The storage; throws if the tensor was disposed. */
  get storage(): Storage {
    const s = this._storage;
    if (s === null || s.data === null)
      throw new Error(`tensor ${this.describe()} was already disposed`);
    return s;
  }

  /** The raw buffer kernels read and write (a typed array on the CPU). */
  get buf(): HostArray {
    const s = this.storage;
    return s.data as HostArray;
  }

  /** The buffer handed to native kernels: host typed array or device allocation. */
  get kbuf(): HostArray | object {
    return this.storage.data as HostArray | object;
  }

  describe(): string {
    return `${this.name ? `'${this.name}' ` : ''}${fmt(this.shape)}`;
  }

  /** A tensor of another shape over the same storage (no copy). */
  withShape(shape: Shape): Tensor {
    return new Tensor(this.storage.retain(), shape);
  }

  /** Frees the memory now (it returns to the allocator cache). Idempotent. */
  dispose(): void {
    if (this._storage) {
      this._storage.release();
      this._storage = null;
    }
  }

  // ---- readback -------------------------------------------------------------------

  /** A copy of the elements as a typed array. */
  data(): HostArray {
    const s = this.storage;
    if (s.device === 'cpu') return (s.data as HostArray).slice(0, this.size);
    return deviceMemory(s.device).download(s.data as object, s.dtype, this.size);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor ${this.describe()} has ${this.size} elements, item() needs exactly 1`);
    return this.data()[0];
  }

  /** The elements as nested arrays. */
  toArray(): unknown {
    const flat = Array.from(this.data());
    if (this.shape.length === 0) return flat[0];
    const build = (dim: number, offset: number): unknown => {
      const n = this.shape[dim];
      if (dim === this.shape.length - 1) return flat.slice(offset, offset + n);
      const stride = numel(this.shape.slice(dim + 1));
      return Array.from({ length: n }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  toString(): string {
    if (this.isDisposed) return `tensor(<disposed>, shape=${fmt(this.shape)})`;
    return formatTensor(this);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // ---- autograd ------------------------------------------------------------------

  /** Marks a leaf as needing a gradient; returns this. */
  requiresGrad_(flag = true): this {
    if (flag && this.dtype !== 'float32')
      throw new Error(`requiresGrad: only float32 tensors can require gradients, ${this.describe()} is ${this.dtype}`);
    this.requiresGrad = flag;
    return this;
  }

  /** Clears the accumulated gradient. */
  zeroGrad(): void {
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** The same values, cut off from the graph (shares storage). */
  detach(): Tensor {
    return this.withShape(this.shape);
  }

  /** Keeps this tensor alive past the enclosing tidy(). */
  keep(): this {
    return keep(this);
  }
}

/** A copy of x's values on `device`, outside autograd (ops' toDevice records the gradient). */
export function copyToDevice(x: Tensor, device: Device): Tensor {
  const storage =
    device === 'cpu'
      ? new Storage(deviceMemory(x.device).download(x.kbuf as object, x.dtype, x.size), x.dtype, x.size, 'cpu')
      : new Storage(deviceMemory(device).upload((x.buf as HostArray).subarray(0, x.size)), x.dtype, x.size, device);
  return new Tensor(storage, x.shape);
}
