// Softmax and the fused cross-entropy over 4096 x 1000 logits: memory-bound row kernels,
// reported as GB/s (the bytes each must read and write at least) and as a share of the
// memory bandwidth measured in the same run.
import * as tl from '../src/index.js';
import type { BenchCase } from './types.js';

const ROWS = 4096, CLASSES = 1000, LOGIT_BYTES = 4 * ROWS * CLASSES;

export const cases: BenchCase[] = [
  {
    group: 'softmax',
    name: 'forward 4096x1000',
    bytes: 2 * LOGIT_BYTES, // read the logits, write the probabilities
    setup: () => {
      const x = tl.randn([ROWS, CLASSES]);
      return () => tl.softmax(x, -1).dispose();
    },
  },
  {
    group: 'softmax',
    name: 'cross-entropy fwd+bwd 4096x1000',
    // Forward reads the logits; backward reads them again and writes their gradient.
    bytes: 3 * LOGIT_BYTES,
    setup: () => {
      const logits = tl.randn([ROWS, CLASSES]).requiresGrad_();
      const labels = tl.randint(0, CLASSES, [ROWS]);
      return () => {
        tl.tidy(() => tl.crossEntropy(logits, labels).backward());
        logits.grad?.dispose();
        logits.grad = null;
      };
    },
  },
];
