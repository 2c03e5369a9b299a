// Shared test helpers: float64 references, random data, tolerance checks.
import type { ExecutionContext } from 'ava';
import { Generator, Tensor, getIsa, getNumThreads, setIsa, setNumThreads, tensor } from '../../src/index.js';

/** The awkward sizes every kernel test includes. */
export const AWKWARD = [1, 3, 17, 129] as const;

export const rng = new Generator(42);

export function randomArray(n: number, lo = -1, hi = 1, gen = rng): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * gen.uniform();
  return a;
}

/** A float32 tensor from float64 data (the reference keeps the float64 copy). */
export function t32(data: Float64Array | number[], shape: readonly number[]): Tensor {
  return tensor(Float32Array.from(data), shape);
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| elementwise, reporting the
 * worst element, its index and the tolerance.
 */
export function assertClose(
  t: ExecutionContext,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol = 1e-5, atol = 1e-6, what = '' }: { rtol?: number; atol?: number; what?: string } = {},
): void {
  if (actual.length !== expected.length) {
    t.fail(`${what}: length ${actual.length} != expected ${expected.length}`);
    return;
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) ? !Number.isNaN(a) : !(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      const excess = Number.isNaN(a) || Number.isNaN(e) ? Infinity : Math.abs(a - e) - (atol + rtol * Math.abs(e));
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (worst >= 0) t.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  else t.pass();
}

/** Row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Calls f(index, flatOffset) for every multi-index of `shape`. */
export function forEachIndex(shape: readonly number[], f: (idx: number[], flat: number) => void): void {
  const n = numel(shape);
  const idx = new Array(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(idx, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

/** Runs fn with the engine on `threads` threads, restoring the previous count after. */
export function withThreads<T>(threads: number, fn: () => T): T {
  const prev = getNumThreads();
  setNumThreads(threads);
  try {
    return fn();
  } finally {
    setNumThreads(prev);
  }
}

/** The instruction sets this CPU can run, portable first: each SIMD path is tested against it. */
export const ISAS_HERE = (['portable', 'avx2', 'avx512'] as const).filter((isa) => {
  const order = { portable: 0, avx2: 1, avx512: 2 };
  return order[isa] <= order[getIsa().best];
});

/** Runs fn with kernels forced to `isa`, restoring the best one after. */
export function withIsa<T>(isa: (typeof ISAS_HERE)[number], fn: () => T): T {
  setIsa(isa);
  try {
    return fn();
  } finally {
    setIsa(getIsa().best);
  }
}
