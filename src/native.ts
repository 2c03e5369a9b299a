// Loads the compiled addon. The cmake-js build (npm install) lands in build-cmake/,
// a node-gyp build in build/; TRUNKLINE_ADDON points at any other .node file.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CudaMemoryStats, MatmulPrecision } from './backend/cuda.js';
import type { Isa } from './settings.js';
import type { GemmKernelChoice } from './settings.js';

const require = createRequire(import.meta.url);
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

function addonPath(): string {
  const fromEnv = process.env.TRUNKLINE_ADDON;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`TRUNKLINE_ADDON points at ${fromEnv}, which does not exist`);
    return resolve(fromEnv);
  }
  const candidates = [
    join(packageRoot, 'build-cmake', 'Release', 'trunkline.node'),
    join(packageRoot, 'build', 'Release', 'trunkline.node'),
  ];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(
    `trunkline's native addon is not built (looked for ${candidates.join(' and ')}). ` +
      'Run `npm install` (cmake-js) or `npx node-gyp rebuild` in the package folder.',
  );
}

/** A buffer a kernel reads or writes: host memory, or a device allocation. */
export type KernelBuffer = Float32Array | Int32Array | object;

type Buf = KernelBuffer;
/** An optional buffer: null where the kernel has nothing to read or write. */
type OptBuf = KernelBuffer | null;
type Dims = readonly number[];
type DTypeName = 'float32' | 'int32';
/** An elementwise op as the addon lists it (native/core/element_math.h), in code order. */
export interface ElementwiseOpInfo { name: string; needsOutput: boolean }

/**
 * The native kernel table (native/binding/*.cc). Every kernel takes outputs first, then
 * inputs, then sizes, and accepts host or device buffers alike (all of one call on one
 * device). Backward kernels accumulate into their gradient buffers. `reduction` is
 * 0 none, 1 sum, 2 mean; optimizer updates return the index of the first non-finite
 * gradient, or -1.
 */
export interface KernelTable {
  // core
  getNumThreads(): number;
  setNumThreads(n: number): void;
  getIsa(): { active: Isa; best: Isa };
  setIsa(isa: Isa): void;
  buildInfo(): { cuda: boolean; arch: string };
  // elementwise
  elementwise_ops(): { unary: ElementwiseOpInfo[]; binary: ElementwiseOpInfo[] };
  unary_forward(op: number, out: Buf, x: Buf, n: number, p0: number, p1: number): void;
  unary_backward(op: number, gx: Buf, gout: Buf, x: Buf, out: OptBuf, n: number, p0: number, p1: number): void;
  binary_forward(op: number, out: Buf, a: Buf, b: Buf, outShape: Dims, aStrides: Dims, bStrides: Dims): void;
  binary_backward(op: number, ga: OptBuf, gb: OptBuf, gout: Buf, a: Buf, b: Buf, out: OptBuf, outShape: Dims, aStrides: Dims, bStrides: Dims): void;
  axpy(y: Buf, x: Buf, alpha: number, n: number): void;
  fill(out: Buf, value: number, n: number): void;
  // reductions
  sum_forward(out: Buf, x: Buf, shape: Dims, axes: Dims, scale: number): void;
  sum_backward(gx: Buf, g: Buf, shape: Dims, axes: Dims, scale: number): void;
  extreme_forward(isMax: boolean, out: OptBuf, index: Buf, x: Buf, shape: Dims, axes: Dims): void;
  extreme_backward(gx: Buf, g: Buf, index: Buf, shape: Dims, axes: Dims): void;
  var_forward(out: Buf, mean: OptBuf, x: Buf, shape: Dims, axes: Dims, correction: number): void;
  var_backward(gx: Buf, g: Buf, x: Buf, mean: Buf, shape: Dims, axes: Dims, correction: number): void;
  // shape
  copy_block(dst: Buf, dstOffset: number, dstStrides: Dims, src: Buf, srcOffset: number, srcStrides: Dims, shape: Dims, accumulate: boolean): void;
  index_select_forward(out: Buf, x: Buf, index: Buf, outer: number, n: number, inner: number, k: number): void;
  index_select_backward(gx: Buf, g: Buf, index: Buf, outer: number, n: number, inner: number, k: number): void;
  gather_forward(out: Buf, x: Buf, index: Buf, indexShape: Dims, xShape: Dims, axis: number): void;
  gather_backward(gx: Buf, g: Buf, index: Buf, indexShape: Dims, xShape: Dims, axis: number): void;
  // matmul
  gemm(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, a: Buf, offA: number, lda: number, b: Buf, offB: number, ldb: number, beta: number, c: Buf, offC: number, ldc: number): void;
  matmul_forward(out: Buf, a: Buf, b: Buf, batch: number, m: number, n: number, k: number, sa: number, sb: number): void;
  matmul_backward(ga: OptBuf, gb: OptBuf, g: Buf, a: Buf, b: Buf, batch: number, m: number, n: number, k: number, sa: number, sb: number): void;
  /** act: 0 none, 1 relu. */
  linear_forward(out: Buf, x: Buf, w: Buf, bias: OptBuf, m: number, n: number, k: number, act: number): void;
  linear_backward(gx: OptBuf, gw: OptBuf, gb: OptBuf, g: Buf, x: Buf, w: Buf, m: number, n: number, k: number): void;
  // banks of parallel layers (native/cpu/grouped.h; CPU buffers only)
  grouped_linear_forward(out: Buf, x: Buf, w: Buf, bias: OptBuf, m: number, groups: number, n: number, k: number, act: number): void;
  /** With `out` (a relu's output), g is masked in place first; overwrite bits 0/1/2: gx/gw/gb written, not accumulated. */
  grouped_linear_backward(gx: OptBuf, gw: OptBuf, gb: OptBuf, g: Buf, x: Buf, w: Buf, out: OptBuf, m: number, groups: number, n: number, k: number, overwrite: number): void;
  mix_experts_forward(out: Buf, experts: Buf, gate: Buf, b: number, e: number, d: number): void;
  /** overwrite bits 0/1: gexperts/ggate written, not accumulated. */
  mix_experts_backward(gexperts: OptBuf, ggate: OptBuf, g: Buf, experts: Buf, gate: Buf, b: number, e: number, d: number, overwrite: number): void;
  /** GFLOP/s of an FMA loop. */
  fma_peak(seconds: number, threads: number, accumulators: number): number;
  /** GB/s read + written. */
  memory_bandwidth(megabytes: number, threads: number, repeats: number): number;
  gemm_kernel_name(): string;
  // gemm kernel choice (native/binding/matmul.cc): the kernels the active instruction set
  // allows, which one runs and how it was chosen, the probe and its cache.
  gemm_kernels(): string[];
  gemm_kernel_choice(): GemmKernelChoice;
  gemm_retune(): GemmKernelChoice;
  gemm_tune_info(): { cache: string; cpu: string };
  gemm_set_tune_version(version: string): void;
  gemm_set_kernel(name: string): void;
  // conv and pooling (dims: the packed shape arrays of native/binding/conv.cc)
  conv2d_forward(out: Buf, x: Buf, w: Buf, bias: OptBuf, dims: Dims): void;
  conv2d_backward(gx: OptBuf, gw: OptBuf, gb: OptBuf, g: Buf, x: Buf, w: Buf, dims: Dims): void;
  maxpool2d_forward(out: Buf, argmax: Buf, x: Buf, dims: Dims): void;
  maxpool2d_backward(gx: Buf, g: Buf, argmax: Buf, dims: Dims): void;
  avgpool2d_forward(out: Buf, x: Buf, dims: Dims): void;
  avgpool2d_backward(gx: Buf, g: Buf, dims: Dims): void;
  // softmax
  softmax_forward(out: Buf, x: Buf, outer: number, axis: number, inner: number, log: boolean): void;
  softmax_backward(gx: Buf, g: Buf, y: Buf, outer: number, axis: number, inner: number, log: boolean): void;
  // fused losses
  softmax_cross_entropy_forward(out: Buf, lse: Buf, norm: Buf, logits: Buf, labels: Buf, rows: number, classes: number, ignoreIndex: number, smoothing: number, sampleWeights: OptBuf, classWeights: OptBuf, reduction: number): void;
  softmax_cross_entropy_backward(glogits: Buf, gout: Buf, logits: Buf, labels: Buf, lse: Buf, norm: Buf, rows: number, classes: number, ignoreIndex: number, smoothing: number, sampleWeights: OptBuf, classWeights: OptBuf, reduction: number): void;
  bce_with_logits_forward(out: Buf, norm: Buf, x: Buf, t: Buf, rows: number, cols: number, posWeight: number, posWeights: OptBuf, sampleWeights: OptBuf, mask: OptBuf, reduction: number): void;
  bce_with_logits_backward(gx: OptBuf, gt: OptBuf, gout: Buf, x: Buf, t: Buf, norm: Buf, rows: number, cols: number, posWeight: number, posWeights: OptBuf, sampleWeights: OptBuf, mask: OptBuf, reduction: number): void;
  mse_forward(out: Buf, norm: Buf, p: Buf, t: Buf, mask: OptBuf, n: number, reduction: number): void;
  mse_backward(gp: OptBuf, gt: OptBuf, gout: Buf, p: Buf, t: Buf, mask: OptBuf, norm: Buf, n: number, reduction: number): void;
  // embeddings
  embedding_forward(out: Buf, weight: Buf, idx: Buf, n: number, vocab: number, dim: number): void;
  embedding_backward(gweight: Buf, gout: Buf, idx: Buf, n: number, vocab: number, dim: number): void;
  embedding_bag_forward(out: Buf, weight: Buf, idx: Buf, offsets: Buf, perIndex: OptBuf, n: number, bags: number, vocab: number, dim: number, mean: boolean): void;
  embedding_bag_backward(gweight: OptBuf, gperIndex: OptBuf, gout: Buf, weight: Buf, idx: Buf, offsets: Buf, perIndex: OptBuf, n: number, bags: number, vocab: number, dim: number, mean: boolean): void;
  // fused optimizer updates
  sgd_update(param: Buf, grad: Buf, momentumBuf: OptBuf, n: number, lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean, firstStep: boolean): number;
  adam_update(param: Buf, grad: Buf, m: Buf, v: Buf, vMax: OptBuf, n: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean, amsgrad: boolean, step: number): number;
  /** -1, or [tensor, element] of the first non-finite gradient (tensors before it updated). */
  adam_update_multi(params: Float32Array[], grads: Float32Array[], ms: Float32Array[], vs: Float32Array[], vMaxes: Float32Array[] | null, sizes: number[], steps: number[], lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean, amsgrad: boolean): number | [number, number];
  rmsprop_update(param: Buf, grad: Buf, squareAvg: Buf, gradAvg: OptBuf, momentumBuf: OptBuf, n: number, lr: number, alpha: number, eps: number, weightDecay: number, momentum: number, centered: boolean): number;
  adagrad_update(param: Buf, grad: Buf, sum: Buf, n: number, lr: number, lrDecay: number, weightDecay: number, eps: number, step: number): number;
  // cuda (present in every build; without CUDA they report it, or fail clearly)
  dot_f64(a: Float32Array, b: Float32Array, n: number): number;
  cuda_isAvailable(): boolean;
  cuda_unavailableReason(): string;
  cuda_deviceName(): string;
  cuda_deviceCount(): number;
  cuda_currentDevice(): number;
  cuda_selectDevice(index: number): boolean;
  cuda_alloc(dtype: DTypeName, n: number, zero: boolean): object;
  cuda_free(buf: object): void;
  cuda_upload(host: Float32Array | Int32Array): object;
  cuda_download(buf: object, dtype: DTypeName, n: number): Float32Array | Int32Array;
  cuda_memoryStats(): CudaMemoryStats;
  cuda_resetPeakMemory(): void;
  cuda_emptyCache(): void;
  cuda_synchronize(timeoutMs?: number): void;
  cuda_setMatmulPrecision(p: MatmulPrecision): void;
  cuda_getMatmulPrecision(): MatmulPrecision;
  // communicator (native/dist; src/distributed/comm.ts types and checks them). Optional:
  // an addon built before it lacks them, and src/distributed reads that as "no MPI".
  dist_isAvailable?(): boolean;
  dist_unavailableReason?(): string;
}

export const native: KernelTable = require(addonPath());
export const nativePath = addonPath();
