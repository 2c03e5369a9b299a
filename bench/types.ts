// What a benchmark file exports: a list of cases. bench/index.ts finds every
// bench/*.bench.ts, runs each case at 1 thread and at all threads, and reports it.

export interface BenchCase {
  /** Table section, e.g. 'matmul', 'conv2d', 'softmax', 'train'. */
  group: string;
  /** Row label, e.g. '1024^3' or 'X@W 512x256x256'. */
  name: string;
  /** Floating-point operations per call (reported as GFLOP/s and % of FMA peak). */
  flops?: number;
  /** Bytes moved per call, for memory-bound kernels (reported as GB/s). */
  bytes?: number;
  /** Builds inputs and returns the function to time; an error fails the run, naming the row. */
  setup: () => () => void;
  /** Frees what setup built (optional). */
  teardown?: () => void;
}
