// conv2d forward + backward (input, weight and bias gradients) on the two shapes the
// issue compares with PyTorch, on the native kernels with buffers reused across calls.
import { native } from '../src/native.js';
import type { BenchCase } from './types.js';

function convCase(name: string, n: number, c: number, o: number, h: number, w: number, k: number, pad: number): BenchCase {
  const oh = h + 2 * pad - k + 1, ow = w + 2 * pad - k + 1;
  const dims = [n, c, h, w, o, k, k, 1, 1, pad, pad, 1, 1, 1];
  // forward, input gradient, weight gradient: three products of the same size.
  const flops = 3 * 2 * n * o * oh * ow * c * k * k;
  return {
    group: 'conv2d',
    name,
    flops,
    setup: () => {
      const rnd = (len: number) => new Float32Array(len).map(() => Math.random() - 0.5);
      const x = rnd(n * c * h * w), wt = rnd(o * c * k * k), b = rnd(o);
      const out = new Float32Array(n * o * oh * ow), g = rnd(n * o * oh * ow);
      const gx = new Float32Array(x.length), gw = new Float32Array(wt.length), gb = new Float32Array(o);
      return () => {
        native.conv2d_forward(out, x, wt, b, dims);
        gx.fill(0); gw.fill(0); gb.fill(0);
        native.conv2d_backward(gx, gw, gb, g, x, wt, dims);
      };
    },
  };
}

export const cases: BenchCase[] = [
  convCase('fwd+bwd N32 C32->64 14x14 3x3 p1', 32, 32, 64, 14, 14, 3, 1),
  convCase('fwd+bwd N64 C1->32 28x28 3x3', 64, 1, 32, 28, 28, 3, 0),
];
