// Elementwise kernels on 4096 x 1000 floats (16 MB per tensor, more than the L2):
// reported as GB/s and as a share of the memory bandwidth measured in the same run.
import * as tl from '../src/index.js';
import type { BenchCase } from './types.js';

const SHAPE = [4096, 1000], TENSOR_BYTES = 4 * 4096 * 1000;

export const cases: BenchCase[] = [
  {
    group: 'elementw',
    name: 'add 4096x1000',
    bytes: 3 * TENSOR_BYTES, // read two, write one
    setup: () => {
      const a = tl.randn(SHAPE), b = tl.randn(SHAPE);
      return () => tl.add(a, b).dispose();
    },
  },
  {
    group: 'elementw',
    name: 'relu 4096x1000',
    bytes: 2 * TENSOR_BYTES,
    setup: () => {
      const a = tl.randn(SHAPE);
      return () => tl.relu(a).dispose();
    },
  },
];
