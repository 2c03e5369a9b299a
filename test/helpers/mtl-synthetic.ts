// Synthetic multi-task problems with known answers, shared by the mtl tests.
import { fromBuffer, manualSeed } from '../../src/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';

export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
export function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

export interface Synthetic {
  x: Float32Array;
  d: number;
  n: number;
  labels: Record<string, Float32Array | Int32Array>;
  tensors(): { inputs: { x: Tensor }; labels: Record<string, Tensor> };
}

function pack(x: Float32Array, n: number, d: number, labels: Record<string, Float32Array | Int32Array>): Synthetic {
  return {
    x, d, n, labels,
    tensors: () => ({
      inputs: { x: fromBuffer(x, [n, d]) },
      labels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, fromBuffer(v, [n])])),
    }),
  };
}

/**
 * Two binary tasks a, b sharing the signal x0 + x1 and a regression task r = x2 - x3 (own signal),
 * plus a multiclass task c = which of x0..x2 is largest.
 */
export function sharedSignal(n: number, seed = 1, d = 6): Synthetic {
  const r = lcg(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = gauss(r);
  const a = new Float32Array(n), b = new Float32Array(n), reg = new Float32Array(n), c = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = x.subarray(i * d, i * d + d);
    const s = v[0] + v[1];
    a[i] = s + 0.3 * gauss(r) > 0 ? 1 : 0;
    b[i] = s + 0.5 * v[4] + 0.3 * gauss(r) > 0 ? 1 : 0;
    reg[i] = v[2] - v[3] + 0.1 * gauss(r);
    c[i] = v[0] >= v[1] && v[0] >= v[2] ? 0 : v[1] >= v[2] ? 1 : 2;
  }
  return pack(x, n, d, { a, b, r: reg, c });
}

export function seed(s = 0): void {
  manualSeed(s);
}

/**
 * Two binary tasks a, b sharing the signal x0, and a third task `big` (regression on x1,
 * scale 10 plus noise of scale 10) competing for the same one-unit bottleneck: a fixed sum
 * lets big's large loss take the bottleneck and sacrifices a and b.
 */
export function scaleConflict(n: number, seed = 1): Synthetic {
  const r = lcg(seed), d = 4;
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = gauss(r);
  const a = new Float32Array(n), b = new Float32Array(n), big = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = x.subarray(i * d, i * d + d);
    a[i] = v[0] + 0.2 * gauss(r) > 0 ? 1 : 0;
    b[i] = v[0] + 0.3 * v[2] + 0.2 * gauss(r) > 0 ? 1 : 0;
    big[i] = 10 * v[1] + 10 * gauss(r);
  }
  return pack(x, n, d, { a, b, big });
}

/** Impressions with clicks ~ sigmoid(2 x0) and conversions after a click ~ sigmoid(2 x1 - 0.5). */
export function impressions(n: number, seed = 1): Synthetic & { convProb: Float32Array; conv: Float32Array } {
  const r = lcg(seed), d = 4;
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = gauss(r);
  const click = new Float32Array(n), ctcvr = new Float32Array(n), conv = new Float32Array(n), convProb = new Float32Array(n);
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  for (let i = 0; i < n; i++) {
    const v = x.subarray(i * d, i * d + d);
    click[i] = r() < sig(2 * v[0]) ? 1 : 0;
    convProb[i] = sig(2 * v[1] - 0.5);
    conv[i] = r() < convProb[i] ? 1 : 0;
    ctcvr[i] = click[i] * conv[i];
  }
  return { ...pack(x, n, d, { ctr: click, ctcvr }), convProb, conv };
}
