// gemm on square sizes and on the three products of an MLP layer's training step.
import { native } from '../src/native.js';
import type { BenchCase } from './types.js';

function gemmCase(group: string, name: string, ta: boolean, tb: boolean, m: number, n: number, k: number): BenchCase {
  return {
    group,
    name,
    flops: 2 * m * n * k,
    setup: () => {
      const a = new Float32Array(m * k).map(() => Math.random() - 0.5);
      const b = new Float32Array(k * n).map(() => Math.random() - 0.5);
      const c = new Float32Array(m * n);
      const lda = ta ? m : k, ldb = tb ? k : n;
      return () => native.gemm(ta, tb, m, n, k, 1, a, 0, lda, b, 0, ldb, 0, c, 0, n);
    },
  };
}

const square = [64, 128, 256, 512, 1024, 2048].map((s) => gemmCase('matmul', `${s}^3`, false, false, s, s, s));

// A layer with batch B, in I, out O (X [B,I], W [I,O], dY [B,O]): forward X@W, weight
// gradient X^T@dY, input gradient dY@W^T.
const mlp = ([[512, 256, 256], [4096, 1024, 1024]] as const).flatMap(([B, I, O]) => [
  gemmCase('mlp', `X@W     ${B}x${I}x${O}`, false, false, B, O, I),
  gemmCase('mlp', `X^T@dY  ${B}x${I}x${O}`, true, false, I, O, B),
  gemmCase('mlp', `dY@W^T  ${B}x${I}x${O}`, false, true, B, I, O),
]);

export const cases: BenchCase[] = [...square, ...mlp];
