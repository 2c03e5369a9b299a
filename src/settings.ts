// Engine-wide settings.
import { native } from './native.js';

/** Threads the native kernels use (default: the number of cores, or TRUNKLINE_NUM_THREADS). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

export type Isa = 'portable' | 'avx2' | 'avx512';

/** The SIMD path in use and the best this CPU supports. */
export function getIsa(): { active: Isa; best: Isa } {
  return native.getIsa();
}

/** Forces a SIMD path at or below the CPU's best (for testing every path). */
export function setIsa(isa: Isa): void {
  native.setIsa(isa);
}

export function buildInfo(): { cuda: boolean; arch: string } {
  return native.buildInfo();
}
