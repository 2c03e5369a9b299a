// The Tensor: shape, dtype, device and reference-counted storage, plus the autograd
// fields. Op methods (x.add(y), x.matmul(w), ...) forward to the functions in src/ops.
import * as ops from '../ops/index.js';
import type { GradNode } from '../autograd/node.js';
import type { Device, DType } from './dtype.js';
import { deviceMemory, type HostArray, Storage, allocStorage } from './storage.js';
import { fmt, numel, type Shape } from './shape.js';
import { keep, track } from './scope.js';
import { formatTensor } from './format.js';

// The parameters of an op function after its first (the tensor itself).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Rest<F> = F extends (x: any, ...rest: infer R) => any ? R : never;

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

  /** Back-propagates from this tensor (a scalar, unless a seed gradient is given). */
  backward(gradient?: Tensor, options?: { retainGraph?: boolean }): void {
    ops.backward(this, gradient, options);
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

  // ---- conversions ---------------------------------------------------------------

  clone(): Tensor {
    return ops.clone(this);
  }

  to(device: Device): Tensor {
    return ops.toDevice(this, device);
  }
  cpu(): Tensor {
    return ops.toDevice(this, 'cpu');
  }
  cuda(): Tensor {
    return ops.toDevice(this, 'cuda');
  }
  float(): Tensor {
    return ops.cast(this, 'float32');
  }
  int(): Tensor {
    return ops.cast(this, 'int32');
  }

  // ---- op methods ------------------------------------------------------------------
  add(...a: Rest<typeof ops.add>) { return ops.add(this, ...a); }
  sub(...a: Rest<typeof ops.sub>) { return ops.sub(this, ...a); }
  mul(...a: Rest<typeof ops.mul>) { return ops.mul(this, ...a); }
  div(...a: Rest<typeof ops.div>) { return ops.div(this, ...a); }
  pow(...a: Rest<typeof ops.pow>) { return ops.pow(this, ...a); }
  maximum(...a: Rest<typeof ops.maximum>) { return ops.maximum(this, ...a); }
  minimum(...a: Rest<typeof ops.minimum>) { return ops.minimum(this, ...a); }
  neg() { return ops.neg(this); }
  exp() { return ops.exp(this); }
  log() { return ops.log(this); }
  sqrt() { return ops.sqrt(this); }
  abs() { return ops.abs(this); }
  square() { return ops.square(this); }
  relu() { return ops.relu(this); }
  leakyRelu(...a: Rest<typeof ops.leakyRelu>) { return ops.leakyRelu(this, ...a); }
  gelu() { return ops.gelu(this); }
  sigmoid() { return ops.sigmoid(this); }
  tanh() { return ops.tanh(this); }
  silu() { return ops.silu(this); }
  clamp(...a: Rest<typeof ops.clamp>) { return ops.clamp(this, ...a); }

  sum(...a: Rest<typeof ops.sum>) { return ops.sum(this, ...a); }
  mean(...a: Rest<typeof ops.mean>) { return ops.mean(this, ...a); }
  max(...a: Rest<typeof ops.max>) { return ops.max(this, ...a); }
  min(...a: Rest<typeof ops.min>) { return ops.min(this, ...a); }
  argmax(...a: Rest<typeof ops.argmax>) { return ops.argmax(this, ...a); }
  argmin(...a: Rest<typeof ops.argmin>) { return ops.argmin(this, ...a); }
  var(...a: Rest<typeof ops.variance>) { return ops.variance(this, ...a); }

  reshape(...a: Rest<typeof ops.reshape>) { return ops.reshape(this, ...a); }
  transpose(...a: Rest<typeof ops.transpose>) { return ops.transpose(this, ...a); }
  permute(...a: Rest<typeof ops.permute>) { return ops.permute(this, ...a); }
  get T(): Tensor { return ops.transpose(this); }
  squeeze(...a: Rest<typeof ops.squeeze>) { return ops.squeeze(this, ...a); }
  unsqueeze(...a: Rest<typeof ops.unsqueeze>) { return ops.unsqueeze(this, ...a); }
  flatten(...a: Rest<typeof ops.flatten>) { return ops.flatten(this, ...a); }
  broadcastTo(...a: Rest<typeof ops.broadcastTo>) { return ops.broadcastTo(this, ...a); }
  slice(...a: Rest<typeof ops.slice>) { return ops.slice(this, ...a); }
  narrow(...a: Rest<typeof ops.narrow>) { return ops.narrow(this, ...a); }
  split(...a: Rest<typeof ops.split>) { return ops.split(this, ...a); }
  indexSelect(...a: Rest<typeof ops.indexSelect>) { return ops.indexSelect(this, ...a); }
  gather(...a: Rest<typeof ops.gather>) { return ops.gather(this, ...a); }

  matmul(...a: Rest<typeof ops.matmul>) { return ops.matmul(this, ...a); }
  softmax(...a: Rest<typeof ops.softmax>) { return ops.softmax(this, ...a); }
  logSoftmax(...a: Rest<typeof ops.logSoftmax>) { return ops.logSoftmax(this, ...a); }
}
