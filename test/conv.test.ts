// conv2d and pooling against float64 references, gradients against finite differences.
import test from 'ava';
import * as tl from '../src/index.js';
import { ISAS_HERE, assertClose, randomArray, t32, withIsa, withThreads } from './helpers/reference.js';

interface ConvCase { n: number; c: number; h: number; w: number; o: number; k: [number, number]; stride?: [number, number]; padding?: [number, number]; dilation?: [number, number]; groups?: number }

function refConv(x: Float64Array, wt: Float64Array, bias: Float64Array | null, cs: ConvCase) {
  const [kh, kw] = cs.k, [sh, sw] = cs.stride ?? [1, 1], [ph, pw] = cs.padding ?? [0, 0], [dh, dw] = cs.dilation ?? [1, 1];
  const g = cs.groups ?? 1, cg = cs.c / g, og = cs.o / g;
  const oh = Math.floor((cs.h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1, ow = Math.floor((cs.w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const out = new Float64Array(cs.n * cs.o * oh * ow);
  for (let n = 0; n < cs.n; n++)
    for (let o = 0; o < cs.o; o++) {
      const gr = Math.floor(o / og);
      for (let y = 0; y < oh; y++)
        for (let xo = 0; xo < ow; xo++) {
          let s = bias ? bias[o] : 0;
          for (let ci = 0; ci < cg; ci++)
            for (let ki = 0; ki < kh; ki++)
              for (let kj = 0; kj < kw; kj++) {
                const iy = y * sh - ph + ki * dh, ix = xo * sw - pw + kj * dw;
                if (iy < 0 || iy >= cs.h || ix < 0 || ix >= cs.w) continue;
                s += x[((n * cs.c + gr * cg + ci) * cs.h + iy) * cs.w + ix] * wt[((o * cg + ci) * kh + ki) * kw + kj];
              }
          out[((n * cs.o + o) * oh + y) * ow + xo] = s;
        }
    }
  return { out, shape: [cs.n, cs.o, oh, ow] };
}

const CASES: ConvCase[] = [
  { n: 2, c: 3, h: 7, w: 9, o: 4, k: [3, 3] },
  { n: 3, c: 4, h: 17, w: 13, o: 5, k: [3, 3], padding: [1, 1] },
  { n: 2, c: 3, h: 11, w: 12, o: 6, k: [3, 2], stride: [2, 3], padding: [1, 0] },
  { n: 2, c: 2, h: 13, w: 13, o: 3, k: [3, 3], dilation: [2, 3], padding: [2, 1] },
  { n: 2, c: 6, h: 8, w: 9, o: 4, k: [3, 3], groups: 2, padding: [1, 1] },
  { n: 1, c: 4, h: 5, w: 5, o: 4, k: [3, 3], groups: 4, padding: [1, 1] }, // depthwise
  { n: 2, c: 17, h: 6, w: 7, o: 9, k: [1, 1] }, // pointwise: no im2col
  { n: 1, c: 1, h: 1, w: 1, o: 1, k: [1, 1] },
  { n: 5, c: 16, h: 14, w: 14, o: 33, k: [3, 3], padding: [1, 1] }, // threads split images
  // Direct kernels (stride 1, at most 32 taps): output channels in blocks of 8, 2 and 1,
  // rows narrower than a vector, a padded 5x5 first layer.
  { n: 2, c: 2, h: 5, w: 6, o: 11, k: [2, 3], padding: [0, 2] },
  { n: 3, c: 1, h: 28, w: 28, o: 6, k: [5, 5], padding: [2, 2] },
];

const opts = (cs: ConvCase): tl.Conv2dOptions => ({ stride: cs.stride, padding: cs.padding, dilation: cs.dilation, groups: cs.groups });

for (const isa of ISAS_HERE)
test.serial(`conv2d forward (${isa}) matches float64 on stride/padding/dilation/groups variants, 1 and 2 threads`, (t) => {
  const prev = tl.getNumThreads();
  try {
    withIsa(isa, () => { for (const cs of CASES) {
      const X = randomArray(cs.n * cs.c * cs.h * cs.w), W = randomArray(cs.o * (cs.c / (cs.groups ?? 1)) * cs.k[0] * cs.k[1]), B = randomArray(cs.o);
      const { out, shape } = refConv(X, W, B, cs);
      tl.setNumThreads(1);
      const one = tl.conv2d(t32(X, [cs.n, cs.c, cs.h, cs.w]), t32(W, [cs.o, cs.c / (cs.groups ?? 1), ...cs.k]), t32(B, [cs.o]), opts(cs));
      t.deepEqual([...one.shape], shape);
      // float32 sums of up to C*kh*kw products of values in [-1, 1].
      assertClose(t, one.data(), out, { rtol: 1e-5, atol: 1e-5, what: JSON.stringify(cs) });
      tl.setNumThreads(2);
      const two = tl.conv2d(t32(X, [cs.n, cs.c, cs.h, cs.w]), t32(W, [cs.o, cs.c / (cs.groups ?? 1), ...cs.k]), t32(B, [cs.o]), opts(cs));
      // Each output element is computed by one thread in one order: identical.
      t.deepEqual(two.data(), one.data(), `threads change the result for ${JSON.stringify(cs)}`);
    } });
  } finally {
    tl.setNumThreads(prev);
  }
});

test('conv2d backward matches finite differences', (t) => {
  const small: ConvCase[] = [
    { n: 2, c: 2, h: 5, w: 4, o: 3, k: [3, 2], padding: [1, 1] },
    { n: 1, c: 2, h: 7, w: 7, o: 2, k: [3, 3], stride: [2, 2], dilation: [2, 1], padding: [1, 2] },
    { n: 2, c: 4, h: 4, w: 4, o: 2, k: [2, 2], groups: 2 },
    { n: 2, c: 3, h: 3, w: 4, o: 2, k: [1, 1] },
  ];
  for (const cs of small) {
    const x = t32(randomArray(cs.n * cs.c * cs.h * cs.w), [cs.n, cs.c, cs.h, cs.w]).requiresGrad_();
    const w = t32(randomArray(cs.o * (cs.c / (cs.groups ?? 1)) * cs.k[0] * cs.k[1]), [cs.o, cs.c / (cs.groups ?? 1), ...cs.k]).requiresGrad_();
    const b = t32(randomArray(cs.o), [cs.o]).requiresGrad_();
    const r = tl.gradcheck((x, w, b) => tl.conv2d(x, w, b, opts(cs)), [x, w, b], { eps: 1e-2, tolerance: 1e-2 });
    t.true(r.ok, `${JSON.stringify(cs)}: worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
  }
});

// dL/dx, dL/dw, dL/db in float64 for an output gradient g.
function refConvBackward(x: Float64Array, wt: Float64Array, g: Float64Array, cs: ConvCase, oh: number, ow: number) {
  const [kh, kw] = cs.k, [sh, sw] = cs.stride ?? [1, 1], [ph, pw] = cs.padding ?? [0, 0], [dh, dw] = cs.dilation ?? [1, 1];
  const gr = cs.groups ?? 1, cg = cs.c / gr, og = cs.o / gr;
  const gx = new Float64Array(x.length), gw = new Float64Array(wt.length), gb = new Float64Array(cs.o);
  for (let n = 0; n < cs.n; n++)
    for (let o = 0; o < cs.o; o++)
      for (let y = 0; y < oh; y++)
        for (let xo = 0; xo < ow; xo++) {
          const gv = g[((n * cs.o + o) * oh + y) * ow + xo];
          gb[o] += gv;
          for (let ci = 0; ci < cg; ci++)
            for (let ki = 0; ki < kh; ki++)
              for (let kj = 0; kj < kw; kj++) {
                const iy = y * sh - ph + ki * dh, ix = xo * sw - pw + kj * dw;
                if (iy < 0 || iy >= cs.h || ix < 0 || ix >= cs.w) continue;
                const xi = ((n * cs.c + Math.floor(o / og) * cg + ci) * cs.h + iy) * cs.w + ix, wi = ((o * cg + ci) * kh + ki) * kw + kj;
                gx[xi] += gv * wt[wi];
                gw[wi] += gv * x[xi];
              }
        }
  return { gx, gw, gb };
}

for (const isa of ISAS_HERE)
test.serial(`conv2d backward (${isa}) matches float64 on the direct kernels and both gemm orientations, 1 and 2 threads`, (t) => {
  const cases: ConvCase[] = [
    { n: 5, c: 1, h: 28, w: 28, o: 32, k: [3, 3] }, // a first layer: direct kernels
    { n: 3, c: 2, h: 9, w: 11, o: 20, k: [2, 2], padding: [1, 0], groups: 2 }, // direct, groups
    { n: 3, c: 4, h: 9, w: 11, o: 18, k: [3, 3], padding: [1, 1], groups: 2, dilation: [1, 2] }, // dilated: gemm; 18 taps > 9 channels per group, not transposed
    { n: 4, c: 3, h: 17, w: 13, o: 5, k: [3, 3], stride: [2, 1], padding: [1, 1] }, // 27 taps > 5 channels
    { n: 3, c: 1, h: 15, w: 16, o: 24, k: [3, 3], stride: [2, 2], padding: [1, 1] }, // strided: gemm, transposed
    { n: 3, c: 3, h: 10, w: 9, o: 40, k: [3, 3], padding: [1, 1] }, // direct, 27 taps in chunks of 12
  ];
  for (const cs of cases) {
    const gcount = cs.groups ?? 1, [kh, kw] = cs.k;
    const X = randomArray(cs.n * cs.c * cs.h * cs.w), W = randomArray(cs.o * (cs.c / gcount) * kh * kw);
    const probe = tl.conv2d(t32(X, [cs.n, cs.c, cs.h, cs.w]), t32(W, [cs.o, cs.c / gcount, kh, kw]), null, opts(cs));
    const [, , oh, ow] = probe.shape;
    const G = randomArray(cs.n * cs.o * oh * ow);
    const ref = refConvBackward(X, W, G, cs, oh, ow);
    for (const threads of [1, 2]) {
      withIsa(isa, () => withThreads(threads, () => {
        const x = t32(X, [cs.n, cs.c, cs.h, cs.w]).requiresGrad_(), w = t32(W, [cs.o, cs.c / gcount, kh, kw]).requiresGrad_();
        const b = t32(randomArray(cs.o), [cs.o]).requiresGrad_();
        tl.conv2d(x, w, b, opts(cs)).backward(t32(G, [cs.n, cs.o, oh, ow]));
        const what = `${isa} ${JSON.stringify(cs)}, ${threads} threads`;
        // Sums of up to n*oh*ow products of values in [-1, 1].
        assertClose(t, x.grad!.data(), ref.gx, { rtol: 1e-4, atol: 1e-4, what: `input gradient ${what}` });
        assertClose(t, w.grad!.data(), ref.gw, { rtol: 1e-4, atol: 1e-3, what: `weight gradient ${what}` });
        assertClose(t, b.grad!.data(), ref.gb, { rtol: 1e-4, atol: 1e-3, what: `bias gradient ${what}` });
      }));
    }
  }
});

test('conv2d gradients are the same on 1, 2 and 3 threads within float rounding', (t) => {
  const prev = tl.getNumThreads();
  // 7 images: threads get unequal shares (3 and 4), 3 threads 2/2/3.
  const cs: ConvCase = { n: 7, c: 16, h: 14, w: 14, o: 32, k: [3, 3], padding: [1, 1] };
  const X = randomArray(cs.n * cs.c * cs.h * cs.w), W = randomArray(cs.o * cs.c * 9), G = randomArray(cs.n * cs.o * 14 * 14);
  const grads = (threads: number) => {
    tl.setNumThreads(threads);
    const x = t32(X, [cs.n, cs.c, cs.h, cs.w]).requiresGrad_(), w = t32(W, [cs.o, cs.c, 3, 3]).requiresGrad_();
    tl.conv2d(x, w, null, opts(cs)).backward(t32(G, [cs.n, cs.o, 14, 14]));
    return [x.grad!.data(), w.grad!.data()];
  };
  try {
    const [gx1, gw1] = grads(1);
    for (const threads of [2, 3]) {
      const [gx, gw] = grads(threads);
      t.deepEqual(gx, gx1, `input gradient, ${threads} threads`);
      // Per-thread partial sums over images are added at the end: rounding only.
      assertClose(t, gw, gw1, { rtol: 1e-5, atol: 1e-4, what: `weight gradient, ${threads} threads` });
    }
  } finally {
    tl.setNumThreads(prev);
  }
});

function refPool(x: Float64Array, [n, c, h, w]: number[], [kh, kw]: number[], [sh, sw]: number[], [ph, pw]: number[], kind: 'max' | 'avg') {
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1, ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  const out = new Float64Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++)
    for (let y = 0; y < oh; y++)
      for (let xo = 0; xo < ow; xo++) {
        let acc = kind === 'max' ? -Infinity : 0;
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const iy = y * sh - ph + i, ix = xo * sw - pw + j;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const v = x[p * h * w + iy * w + ix];
            acc = kind === 'max' ? Math.max(acc, v) : acc + v;
          }
        out[(p * oh + y) * ow + xo] = kind === 'max' ? acc : acc / (kh * kw);
      }
  return { out, shape: [n, c, oh, ow] };
}

function separated(n: number): Float64Array {
  const v = Float64Array.from({ length: n }, (_, i) => (i - n / 2) * 0.01);
  const r = randomArray(n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(((r[i] + 1) / 2) * (i + 1)) % (i + 1);
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

const POOLS: [number[], number[], number[] | undefined, number[]][] = [
  [[2, 3, 8, 8], [2, 2], undefined, [0, 0]],
  [[1, 2, 17, 13], [3, 3], [2, 2], [1, 1]],
  [[2, 1, 7, 9], [3, 2], [1, 2], [1, 0]],
  [[1, 1, 1, 1], [1, 1], undefined, [0, 0]],
];

for (const kind of ['max', 'avg'] as const) {
  const op = kind === 'max' ? tl.maxPool2d : tl.avgPool2d;
  test(`${kind}Pool2d forward matches float64 and backward matches finite differences`, (t) => {
    for (const [shape, k, s, p] of POOLS) {
      const X = randomArray(shape.reduce((a, b) => a * b, 1));
      const { out, shape: os } = refPool(X, shape, k, s ?? k, p, kind);
      const y = op(t32(X, shape), { kernelSize: k as [number, number], stride: s as [number, number] | undefined, padding: p as [number, number] });
      t.deepEqual([...y.shape], os);
      assertClose(t, y.data(), Array.from(out, Math.fround), { rtol: 1e-6, atol: 1e-6, what: `${kind} ${JSON.stringify(shape)}` });
      // For max, well-separated values (a shuffled ramp, steps 0.01 >> eps) keep every
      // window's winner unchanged under the finite-difference nudges.
      const G = kind === 'max' ? separated(X.length) : X;
      const x = t32(G, shape).requiresGrad_();
      const r = tl.gradcheck((a) => op(a, { kernelSize: k as [number, number], stride: s as [number, number] | undefined, padding: p as [number, number] }), [x], { eps: 1e-3, tolerance: 1e-2 });
      t.true(r.ok, `${kind} ${JSON.stringify(shape)}: worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
    }
  });
}

test('conv2d and pools name bad channels, groups and sizes', (t) => {
  const z = (s: number[]) => tl.zeros(s);
  t.throws(() => tl.conv2d(z([1, 3, 5, 5]), z([4, 2, 3, 3])), { message: 'conv2d: input [1,3,5,5] has 3 channels but weight [4,2,3,3] expects 2 (2 per group x 1 groups)' });
  t.throws(() => tl.conv2d(z([1, 4, 5, 5]), z([3, 2, 3, 3]), null, { groups: 2 }), { message: "conv2d: groups 2 does not divide the weight's 3 output channels" });
  t.throws(() => tl.conv2d(z([1, 3, 5, 5]), z([3, 1, 3, 3]), null, { groups: 2 }), { message: "conv2d: groups 2 does not divide the input's 3 channels" });
  t.throws(() => tl.conv2d(z([1, 3, 2, 5]), z([4, 3, 3, 3])), { message: 'conv2d: kernel height extent 3 is larger than the padded input height 2' });
  t.throws(() => tl.conv2d(z([3, 5, 5]), z([4, 3, 3, 3])), { message: 'conv2d: input must be 4-D [N,C,H,W], got [3,5,5]' });
  t.throws(() => tl.conv2d(z([1, 3, 5, 5]), z([4, 3, 3, 3]), z([3])), { message: /conv2d: bias must have shape \[4\]/ });
  t.throws(() => tl.conv2d(z([1, 3, 5, 5]), z([4, 3, 3, 3]), null, { stride: 0 }), { message: /conv2d: stride must be an integer >= 1/ });
  t.throws(() => tl.maxPool2d(z([1, 1, 4, 4]), { kernelSize: 2, padding: 2 }), { message: /maxPool2d: padding \[2,2\] must be at most half the kernel size/ });
  t.throws(() => tl.avgPool2d(z([1, 1, 4, 4]), { kernelSize: 5 }), { message: 'avgPool2d: kernel height extent 5 is larger than the padded input height 4' });
});

test('a kernel error names the kernel once (maxpool2d_backward with a stray argmax)', async (t) => {
  const { native } = await import('../src/native.js');
  const e = t.throws(() =>
    native.maxpool2d_backward(new Float32Array(4), new Float32Array(1), new Int32Array([99]), [1, 1, 2, 2, 2, 2, 2, 2, 0, 0]),
  );
  t.is(e?.message, 'maxpool2d_backward: argmax 99 is outside the 2x2 plane');
});

test('maxPool2d: NaN wins its window, ties and all -inf windows go to the first tap (2x2 fast path and general loop agree)', (t) => {
  const x = [1, NaN, 2, 2, 3, 0, 2, 1, 4, 4, -Infinity, -Infinity, 4, 4, -Infinity, -Infinity];
  for (const stride of [2, 1]) {
    const input = tl.tensor(x, [1, 1, 4, 4]).requiresGrad_();
    const y = tl.maxPool2d(input, { kernelSize: 2, stride });
    if (stride === 2) t.deepEqual(Array.from(y.data()), [NaN, 2, 4, -Infinity]);
    tl.sum(y).backward();
    const g = Array.from(input.grad!.data());
    if (stride === 2) t.deepEqual(g, [0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
    else t.is(g[1], 2, 'stride 1: the NaN wins both windows that hold it');
  }
});
