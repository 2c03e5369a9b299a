// The CUDA backend seen from TS: registers device memory for 'cuda' tensors when a usable
// GPU is present, and exposes device facts and settings as the `cuda` namespace.
import { native } from '../native.js';
import type { DType } from '../tensor/dtype.js';
import { type HostArray, registerDeviceMemory } from '../tensor/storage.js';

/** Device memory counters of the caching allocator (bytes are size-class bytes). */
export interface CudaMemoryStats {
  /** Held by live device buffers. */
  allocatedBytes: number;
  /** Freed buffers kept for reuse. */
  cachedBytes: number;
  /** The highest allocatedBytes since start (or since resetPeakMemory()). */
  peakAllocatedBytes: number;
  /** allocated + cached: what the driver has handed to trunkline. */
  reservedBytes: number;
  allocCount: number;
  cacheHits: number;
  driverAllocs: number;
}

/** Matmul precision, as torch.set_float32_matmul_precision. */
export type MatmulPrecision = 'highest' | 'high' | 'medium';

const available: boolean = native.cuda_isAvailable();

if (available) {
  registerDeviceMemory({
    device: 'cuda',
    alloc: (dtype: DType, n: number, zero: boolean) => native.cuda_alloc(dtype, n, zero),
    free: (buf: object) => native.cuda_free(buf),
    upload: (host: HostArray) => native.cuda_upload(host),
    download: (buf: object, dtype: DType, n: number) => native.cuda_download(buf, dtype, n),
  });
}

function isAvailable(): boolean {
  return available;
}

/** Why no GPU can be used ('' when one can): no driver, no device, or a card older than sm_80. */
function unavailableReason(): string {
  return native.cuda_unavailableReason();
}

/** The device's name and compute capability, e.g. "NVIDIA H100 80GB HBM3 (sm_90)". */
function deviceName(): string {
  if (!available) throw new Error(`cuda.deviceName: no usable GPU (${unavailableReason()})`);
  return native.cuda_deviceName();
}

function memoryStats(): CudaMemoryStats {
  return native.cuda_memoryStats();
}

/** Starts peakAllocatedBytes again from the current allocation. */
function resetPeakMemory(): void {
  native.cuda_resetPeakMemory();
}

/** Hands every cached (unused) device block back to the driver. */
function emptyCache(): void {
  native.cuda_emptyCache();
}

/**
 * Waits until all queued GPU work is done. Polls with a deadline (default 600 s, or
 * TRUNKLINE_CUDA_SYNC_TIMEOUT_MS) and throws instead of hanging when it passes.
 */
function synchronize(timeoutMs?: number): void {
  if (timeoutMs !== undefined && !(timeoutMs > 0))
    throw new Error(`cuda.synchronize: timeoutMs must be a positive number, got ${timeoutMs}`);
  native.cuda_synchronize(timeoutMs);
}

/**
 * 'highest': fp32 SIMT kernels (default). 'high': TF32 tensor cores (10-bit mantissa
 * products, fp32 accumulation). 'medium': BF16 operands with fp32 accumulation.
 */
function setMatmulPrecision(p: MatmulPrecision): void {
  if (p !== 'highest' && p !== 'high' && p !== 'medium')
    throw new Error(`cuda.setMatmulPrecision: unknown precision ${JSON.stringify(p)} (expected 'highest', 'high' or 'medium')`);
  native.cuda_setMatmulPrecision(p);
}

function getMatmulPrecision(): MatmulPrecision {
  return native.cuda_getMatmulPrecision();
}

export const cuda = {
  isAvailable,
  unavailableReason,
  deviceName,
  memoryStats,
  resetPeakMemory,
  emptyCache,
  synchronize,
  setMatmulPrecision,
  getMatmulPrecision,
};
