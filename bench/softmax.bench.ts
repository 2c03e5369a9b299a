// softmax forward over 4096 x 1000 logits (skipped until the softmax op lands).
import * as tl from '../src/index.js';
import type { BenchCase } from './types.js';

export const cases: BenchCase[] = [
  {
    group: 'softmax',
    name: 'forward 4096x1000',
    bytes: 2 * 4 * 4096 * 1000, // read the logits, write the probabilities
    setup: () => {
      const x = tl.randn([4096, 1000]);
      tl.softmax(x, -1).dispose(); // throws 'not implemented' where the op is missing
      return () => tl.softmax(x, -1).dispose();
    },
  },
];
