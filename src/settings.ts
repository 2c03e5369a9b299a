// Engine-wide settings.
import { readFileSync } from 'node:fs';
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

/** The gemm kernel in use (see {@link gemmKernel}). */
export interface GemmKernelChoice {
  /** Its name, e.g. 'avx512 6x64': instruction set, then register tile (rows x columns). */
  kernel: string;
  /**
   * 'probe': timed against the other candidates on this CPU on first use (a few ms, once
   * per process and instruction set); 'cache': an earlier probe's answer for this CPU and
   * trunkline version, from the tuning cache (see {@link retuneGemm}); 'default': the
   * instruction set's first kernel (TRUNKLINE_TUNE=off, or only one candidate); 'forced':
   * set by {@link setGemmKernel}.
   */
  how: 'probe' | 'cache' | 'default' | 'forced';
  /** The kernels the active instruction set allows, with the probe's seconds (0 where it did not run). */
  candidates: { name: string; seconds: number }[];
}



// The tuning cache keys its answers by trunkline's version (package.json, one level up
// from both src/ and dist/), so an upgrade probes again.
try {
  native.gemm_set_tune_version(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
} catch {
  // No package.json beside the code: the key says 'unknown'.
}

/**
 * The matrix-multiply kernel in use and how it was chosen. Which kernel is fastest
 * depends on the core (a Zen 4 core runs AVX-512 at AVX2's FMA rate, a Zen 5 core at
 * twice it), so the first large enough product times the candidates and keeps the
 * fastest; TRUNKLINE_TUNE=off skips that and uses the instruction set's default.
 */
export function gemmKernel(): GemmKernelChoice {
  return native.gemm_kernel_choice();
}

/**
 * Times the gemm kernels again under the active instruction set, whatever the tuning
 * cache holds, and records the winner there (`npx trunkline tune`). The cache,
 * `$XDG_CACHE_HOME/trunkline/gemm-kernels.tsv` (else `~/.cache/trunkline/`), keeps one
 * answer per CPU model, instruction set, trunkline version and set of kernels, so every
 * process on a machine uses the same kernel. TRUNKLINE_TUNE=force probes on every start;
 * TRUNKLINE_TUNE=off neither probes nor reads the cache.
 */
export function retuneGemm(): GemmKernelChoice & { cache: string; cpu: string } {
  return { ...native.gemm_retune(), ...native.gemm_tune_info() };
}

/** Where the tuning cache lives ('' without a home directory) and the CPU as its key names it. */
export function gemmTuneInfo(): { cache: string; cpu: string } {
  return native.gemm_tune_info();
}

/** Every gemm kernel this CPU can run, by name. */
export function gemmKernels(): string[] {
  return native.gemm_kernels();
}

/**
 * Forces a gemm kernel by name (for tests and benchmarks; it applies while the active
 * instruction set allows it); null returns to the automatic choice.
 */
export function setGemmKernel(name: string | null): void {
  native.gemm_set_kernel(name ?? '');
}

/** What a run's numbers depend on besides its config, data and seeds; metrics.json records it. */
export interface EngineInfo {
  /** The instruction set the kernels run (and the best this CPU has). */
  isa: { active: Isa; best: Isa };
  /** The gemm kernel and how it was chosen: results are bit-for-bit reproducible given it and the threads. */
  gemm: Pick<GemmKernelChoice, 'kernel' | 'how'>;
  threads: number;
  cpu: string;
  cuda: boolean;
}

export function engineInfo(): EngineInfo {
  const { kernel, how } = gemmKernel();
  return { isa: getIsa(), gemm: { kernel, how }, threads: getNumThreads(), cpu: gemmTuneInfo().cpu, cuda: buildInfo().cuda };
}
