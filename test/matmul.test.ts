// The blocked gemm against a float64 reference: every transpose combination, sizes on
// every edge of the blocking, every instruction set this CPU has, 1 and several threads.
import test from 'ava';
import * as tl from '../src/index.js';
import { native } from '../src/native.js';
import { ISAS_HERE, assertClose, randomArray, t32 } from './helpers/reference.js';

function refGemm(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, b: Float32Array, beta: number, c: Float32Array): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = alpha * s + (beta === 0 ? 0 : beta * c[i * n + j]);
    }
  return out;
}

function runGemm(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, b: Float32Array, beta: number, c0: Float32Array): Float32Array {
  const c = c0.slice();
  native.gemm(ta, tb, m, n, k, alpha, a, 0, ta ? m : k, b, 0, tb ? k : n, beta, c, 0, n);
  return c;
}

// Register tiles 4x8 (portable), 6x16 (AVX2), 6x64 and 12x32 (AVX-512); cache blocks MC
// 96/128/144, KC 256/384, NC 2048. Each triple puts some dimension just below, on and above
// an edge.
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 17, 3], [15, 16, 17], [16, 15, 1], [17, 17, 17], [5, 7, 11], [6, 16, 8],
  [7, 33, 13], [11, 31, 12], [13, 33, 24], [63, 64, 65], [65, 63, 64], [119, 17, 9],
  [121, 9, 255], [127, 33, 257], [129, 15, 256], [143, 20, 3], [145, 47, 31], [3, 255, 257],
  [2, 2047, 3], [3, 2049, 2], [255, 5, 513], [6, 64, 384], [7, 65, 385], [13, 127, 481],
];

// Every kernel this CPU can run (the ISA loop below covers the automatic choice).
const KERNELS = tl.gemmKernels();

// Accumulation in float32: error grows with k; the bound is generous against a
// wrong element (which is off by O(1)) and tight against rounding.
const tolFor = (k: number) => ({ rtol: 1e-5, atol: 2e-6 * Math.max(1, k) });

// Each instruction set (with the kernel chosen under it) and each kernel forced by name.
const SETTINGS = [...ISAS_HERE.map((isa) => ({ label: isa, isa, kernel: '' })), ...KERNELS.map((kernel) => ({ label: kernel, isa: tl.getIsa().best, kernel }))];
for (const { label, isa, kernel } of SETTINGS) {
  test.serial(`gemm (${label}) matches float64 for all transposes on blocking edges, 1 and 2 threads`, (t) => {
    const prevThreads = tl.getNumThreads();
    tl.setIsa(isa);
    tl.setGemmKernel(kernel || null);
    try {
      for (const [m, n, k] of SHAPES) {
        const a = Float32Array.from(randomArray(m * k));
        const b = Float32Array.from(randomArray(k * n));
        const c = Float32Array.from(randomArray(m * n));
        for (const ta of [false, true])
          for (const tb of [false, true])
            for (const [alpha, beta] of [[1, 0], [0.5, 1.5]]) {
              const expected = refGemm(ta, tb, m, n, k, alpha, a, b, beta, c);
              tl.setNumThreads(1);
              const one = runGemm(ta, tb, m, n, k, alpha, a, b, beta, c);
              assertClose(t, one, expected, { ...tolFor(k), what: `${label} ${m}x${n}x${k} ta=${ta} tb=${tb} a=${alpha} b=${beta}` });
              tl.setNumThreads(2);
              const two = runGemm(ta, tb, m, n, k, alpha, a, b, beta, c);
              // Threads own disjoint blocks of C and sum in the same order: bit-identical.
              t.deepEqual(two, one, `${label} ${m}x${n}x${k}: 2 threads differ from 1`);
            }
      }
    } finally {
      tl.setIsa(tl.getIsa().best);
      tl.setGemmKernel(null);
      tl.setNumThreads(prevThreads);
    }
  });

  test.serial(`gemm (${label}) on large sizes is the same on 1, 2 and 3 threads`, (t) => {
    const prevThreads = tl.getNumThreads();
    tl.setIsa(isa);
    tl.setGemmKernel(kernel || null);
    try {
      for (const [m, n, k] of [[257, 300, 520], [600, 130, 257]] as [number, number, number][]) {
        const a = Float32Array.from(randomArray(m * k));
        const b = Float32Array.from(randomArray(k * n));
        const z = new Float32Array(m * n).fill(Number.NaN); // beta 0 must never read C
        tl.setNumThreads(1);
        const one = runGemm(false, true, m, n, k, 1, a, b, 0, z);
        // Spot-check rows against float64 (the full reference is slow in JS).
        const expected = refGemm(false, true, m, n, k, 1, a, b, 0, z);
        assertClose(t, one, expected, { ...tolFor(k), what: `${label} ${m}x${n}x${k}` });
        for (const threads of [2, 3]) {
          tl.setNumThreads(threads);
          t.deepEqual(runGemm(false, true, m, n, k, 1, a, b, 0, z), one, `${threads} threads differ from 1`);
        }
      }
    } finally {
      tl.setIsa(tl.getIsa().best);
      tl.setGemmKernel(null);
      tl.setNumThreads(prevThreads);
    }
  });
}

test.serial('the gemm kernel is chosen among those the instruction set allows, and can be forced', (t) => {
  const kernels = tl.gemmKernels();
  t.true(kernels.includes('portable 4x8'));
  try {
    for (const isa of ISAS_HERE) {
      tl.setIsa(isa);
      const choice = tl.gemmKernel();
      t.true(choice.kernel.startsWith(isa === 'portable' ? 'portable' : 'avx'), `${isa}: ${choice.kernel}`);
      t.true(choice.candidates.some((c) => c.name === choice.kernel), `${isa}: ${choice.kernel} is a candidate`);
      for (const c of choice.candidates) t.true(kernels.includes(c.name));
      if (isa === 'avx2') t.deepEqual(choice.candidates.map((c) => c.name), kernels.filter((k) => k.startsWith('avx2')));
      // A probe times every candidate; one candidate needs no probe.
      if (choice.how === 'probe') t.true(choice.candidates.every((c) => c.seconds > 0));
      else t.true(['default', 'cache'].includes(choice.how), choice.how);
      t.is(native.gemm_kernel_name(), choice.kernel);
    }
    tl.setIsa(tl.getIsa().best);
    for (const k of kernels) {
      tl.setGemmKernel(k);
      t.deepEqual([tl.gemmKernel().kernel, tl.gemmKernel().how], [k, 'forced']);
    }
    t.throws(() => tl.setGemmKernel('avx9 1x1'), { message: /no gemm kernel named 'avx9 1x1'/ });
  } finally {
    tl.setIsa(tl.getIsa().best);
    tl.setGemmKernel(null);
  }
  t.not(tl.gemmKernel().how, 'forced');
});

test.serial('a product with few columns or rows runs on the candidate that pads its tiles least', (t) => {
  const tile = (name: string) => name.split(' ')[1].split('x').map(Number);
  const use = (name: string, m: number, n: number) => {
    const [mr, nr] = tile(name);
    return (m / (Math.ceil(m / mr) * mr)) * (n / (Math.ceil(n / nr) * nr));
  };
  try {
    for (const isa of ISAS_HERE) {
      tl.setIsa(isa);
      const choice = tl.gemmKernel();
      const names = choice.candidates.map((c) => c.name);
      t.is(native.gemm_kernel_for(4096, 1024), choice.kernel, `${isa}: full tiles run on the chosen kernel`);
      for (const [m, n] of [[512, 10], [4096, 32], [256, 100], [10, 256], [512, 200], [1000, 1000], [1, 1]]) {
        const k = native.gemm_kernel_for(m, n);
        t.true(names.includes(k), `${isa} ${m}x${n}: ${k} is a candidate`);
        // The best share of useful work in its tiles, where a kernel other than the chosen
        // one must do 5% better.
        const score = (name: string) => use(name, m, n) * (name === choice.kernel ? 1 : 0.95);
        t.true(k === choice.kernel || score(k) > score(choice.kernel), `${isa} ${m}x${n}: ${k}`);
        for (const other of names) t.true(score(other) <= score(k) + 1e-12, `${isa} ${m}x${n}: ${other} pads less than ${k}`);
      }
    }
    tl.setIsa(tl.getIsa().best);
    // A forced kernel runs every product.
    for (const name of tl.gemmKernels()) {
      tl.setGemmKernel(name);
      t.is(native.gemm_kernel_for(512, 10), name);
    }
  } finally {
    tl.setIsa(tl.getIsa().best);
    tl.setGemmKernel(null);
  }
});

function refMatmul(a: Float64Array | Float32Array, b: Float64Array | Float32Array, m: number, n: number, k: number): Float64Array {
  return refGemm(false, false, m, n, k, 1, Float32Array.from(a), Float32Array.from(b), 0, new Float32Array(0));
}

test('matmul: 2-D, vectors and batched with broadcast batch dims', (t) => {
  const cases: [number[], number[], number[]][] = [
    [[3, 5], [5, 4], [3, 4]],
    [[5], [5, 4], [4]],
    [[3, 5], [5], [3]],
    [[5], [5], []],
    [[2, 3, 5], [2, 5, 4], [2, 3, 4]],
    [[2, 3, 5], [5, 4], [2, 3, 4]],
    [[3, 5], [2, 5, 4], [2, 3, 4]],
    [[2, 1, 3, 5], [3, 5, 4], [2, 3, 3, 4]],
    [[17, 129], [129, 3], [17, 3]],
  ];
  for (const [as, bs, os] of cases) {
    const A = randomArray(as.reduce((x, y) => x * y, 1));
    const B = randomArray(bs.reduce((x, y) => x * y, 1));
    const out = tl.matmul(t32(A, as), t32(B, bs));
    t.deepEqual([...out.shape], os, `shape of ${JSON.stringify(as)} @ ${JSON.stringify(bs)}`);
    // Reference: expand to explicit batches.
    const am = as.length === 1 ? [1, ...as] : as, bm = bs.length === 1 ? [...bs, 1] : bs;
    const m = am[am.length - 2], k = am[am.length - 1], n = bm[bm.length - 1];
    const batch = os.slice(0, Math.max(am.length, bm.length) - 2);
    const nb = batch.reduce((x, y) => x * y, 1);
    const batchA = am.slice(0, -2), batchB = bm.slice(0, -2);
    const expected: number[] = [];
    for (let i = 0; i < nb; i++) {
      // Unravel i over batch, then index each operand with broadcasting.
      let rem = i;
      const idx = batch.map(() => 0);
      for (let d = batch.length - 1; d >= 0; d--) { idx[d] = rem % batch[d]; rem = Math.floor(rem / batch[d]); }
      const flat = (own: number[]) => {
        let f = 0;
        const off = batch.length - own.length;
        for (let d = 0; d < own.length; d++) f = f * own[d] + (own[d] === 1 ? 0 : idx[off + d]);
        return f;
      };
      const ia = flat(batchA), ib = flat(batchB);
      expected.push(...refMatmul(A.subarray(ia * m * k, (ia + 1) * m * k), B.subarray(ib * k * n, (ib + 1) * k * n), m, n, k));
    }
    assertClose(t, out.data(), expected, { rtol: 1e-5, atol: 1e-5, what: `${JSON.stringify(as)} @ ${JSON.stringify(bs)}` });
  }
});

test('matmul backward matches finite differences (2-D, vector, batched, broadcast)', (t) => {
  const cases: [number[], number[]][] = [[[3, 5], [5, 4]], [[5], [5, 3]], [[2, 3, 4], [4, 2]], [[2, 3, 4], [2, 4, 2]], [[3, 4], [2, 4, 3]], [[2, 1, 2, 3], [3, 3, 2]]];
  for (const [as, bs] of cases) {
    const a = t32(randomArray(as.reduce((x, y) => x * y, 1)), as).requiresGrad_();
    const b = t32(randomArray(bs.reduce((x, y) => x * y, 1)), bs).requiresGrad_();
    const r = tl.gradcheck((x, y) => tl.matmul(x, y), [a, b], { eps: 1e-2, tolerance: 1e-2 });
    t.true(r.ok, `${JSON.stringify(as)} @ ${JSON.stringify(bs)}: worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
  }
});

test('linear matches x @ w^T + b and its gradient matches finite differences', (t) => {
  for (const [m, n, k] of [[1, 1, 1], [3, 17, 5], [129, 3, 17], [40, 33, 70]] as [number, number, number][]) {
    const X = randomArray(m * k), W = randomArray(n * k), Bv = randomArray(n);
    const out = tl.linear(t32(X, [m, k]), t32(W, [n, k]), t32(Bv, [n])).data();
    const expected = refGemm(false, true, m, n, k, 1, Float32Array.from(X), Float32Array.from(W), 0, new Float32Array(0)).map((v, i) => v + Bv[i % n]);
    assertClose(t, out, expected, { rtol: 1e-5, atol: 1e-5, what: `linear ${m}x${n}x${k}` });
  }
  const x = t32(randomArray(2 * 3 * 4), [2, 3, 4]).requiresGrad_();
  const w = t32(randomArray(5 * 4), [5, 4]).requiresGrad_();
  const b = t32(randomArray(5), [5]).requiresGrad_();
  const r = tl.gradcheck((x, w, b) => tl.linear(x, w, b), [x, w, b], { eps: 1e-2, tolerance: 1e-2 });
  t.true(r.ok, `worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
  const r2 = tl.gradcheck((x, w) => tl.linear(x, w), [x, w], { eps: 1e-2, tolerance: 1e-2 });
  t.true(r2.ok, `no bias: worst ${r2.maxError}`);
});

// float64 reference of G linear layers side by side: group e reads x's column block e.
function refGrouped(X: Float64Array, W: Float64Array, Bv: Float64Array | null, m: number, groups: number, n: number, k: number, relu: boolean): Float64Array {
  const out = new Float64Array(m * groups * n);
  for (let i = 0; i < m; i++)
    for (let e = 0; e < groups; e++)
      for (let j = 0; j < n; j++) {
        let s = Bv ? Bv[e * n + j] : 0;
        for (let p = 0; p < k; p++) s += X[i * groups * k + e * k + p] * W[(e * n + j) * k + p];
        out[i * groups * n + e * n + j] = relu && s <= 0 ? 0 : s;
      }
  return out;
}

// Inputs whose pre-activations stay clear of the relu's kink by more than the
// finite-difference step: random, then each row's bias set so no output is within 0.1 of 0.
function clearOfKink(m: number, groups: number, n: number, k: number) {
  const X = randomArray(m * groups * k), W = randomArray(groups * n * k), Bv = randomArray(groups * n);
  const pre = refGrouped(X, W, Bv, m, groups, n, k, false);
  const cols = groups * n;
  for (let c = 0; c < cols; c++)
    while (Array.from({ length: m }, (_, i) => pre[i * cols + c]).some((v) => Math.abs(v) < 0.1)) {
      Bv[c] += 0.25;
      for (let i = 0; i < m; i++) pre[i * cols + c] += 0.25;
    }
  return { X, W, Bv };
}

test('linearRelu and groupedLinear match a float64 reference, and their gradients finite differences', (t) => {
  for (const [m, groups, n, k] of [[1, 1, 1, 1], [3, 1, 17, 5], [129, 1, 3, 17], [40, 4, 33, 70], [17, 3, 8, 5], [256, 4, 64, 128]] as [number, number, number, number][]) {
    const X = randomArray(m * groups * k), W = randomArray(groups * n * k), Bv = randomArray(groups * n);
    for (const relu of [true, false]) {
      const x = t32(X, [m, groups * k]), w = t32(W, [groups * n, k]), b = t32(Bv, [groups * n]);
      const out = (groups === 1 && relu ? tl.linearRelu(x, w, b) : tl.groupedLinear(x, w, b, groups, relu)).data();
      assertClose(t, out, refGrouped(X, W, Bv, m, groups, n, k, relu), { rtol: 1e-5, atol: 1e-5, what: `grouped ${m}x${groups}x${n}x${k} relu ${relu}` });
    }
    const nb = tl.groupedLinear(t32(X, [m, groups * k]), t32(W, [groups * n, k]), null, groups, false).data();
    assertClose(t, nb, refGrouped(X, W, null, m, groups, n, k, false), { rtol: 1e-5, atol: 1e-5, what: `grouped ${m}x${groups}x${n}x${k} no bias` });
  }
  for (const [m, groups, n, k] of [[3, 1, 5, 4], [4, 3, 2, 3]] as [number, number, number, number][]) {
    const { X, W, Bv } = clearOfKink(m, groups, n, k);
    const x = t32(X, [m, groups * k]).requiresGrad_(), w = t32(W, [groups * n, k]).requiresGrad_(), b = t32(Bv, [groups * n]).requiresGrad_();
    for (const relu of [true, false]) {
      const r = tl.gradcheck((x, w, b) => tl.groupedLinear(x, w, b, groups, relu), [x, w, b], { eps: 1e-2, tolerance: 1e-2 });
      t.true(r.ok, `groups ${groups} relu ${relu}: worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
    }
    if (groups === 1) {
      const r = tl.gradcheck((x, w, b) => tl.linearRelu(x, w, b), [x, w, b], { eps: 1e-2, tolerance: 1e-2 });
      t.true(r.ok, `linearRelu: worst ${r.maxError}`);
    }
  }
  const z = (s: number[]) => tl.zeros(s);
  t.throws(() => tl.groupedLinear(z([2, 6]), z([6, 4]), null, 2, false), { message: /groupedLinear: input \[2,6\] has 6 features but 2 group\(s\) of weight \[6,4\] expect 8/ });
  t.throws(() => tl.groupedLinear(z([2, 8]), z([5, 4]), null, 2, false), { message: /groupedLinear: weight must be 2-D \[groups\*out, in\]/ });
});

test('matmul and linear name mismatched shapes', (t) => {
  const z = (s: number[]) => tl.zeros(s);
  t.throws(() => tl.matmul(z([2, 3]), z([4, 5])), { message: 'matmul: shapes [2,3] and [4,5] do not match (3 != 4)' });
  t.throws(() => tl.matmul(z([2, 2, 3]), z([3, 3, 5])), { message: /matmul: shapes \[2\] and \[3\] cannot be broadcast/ });
  t.throws(() => tl.matmul(z([]), z([3])), { message: /matmul: both operands need at least 1 dimension/ });
  t.throws(() => tl.matmul(z([2, 3]), tl.zeros([3, 2], { dtype: 'int32' })), { message: /matmul: second operand must be float32/ });
  t.throws(() => tl.linear(z([2, 3]), z([4, 5])), { message: 'linear: input [2,3] has 3 features but weight [4,5] expects 5' });
  t.throws(() => tl.linear(z([2, 5]), z([4, 5]), z([3])), { message: /linear: bias must have shape \[4\]/ });
  t.throws(() => native.gemm(false, false, 4, 4, 4, 1, new Float32Array(15), 0, 4, new Float32Array(16), 0, 4, 0, new Float32Array(16), 0, 4), { message: /gemm: argument 6 holds 15 elements, the kernel needs 16/ });
  t.throws(() => native.gemm(false, false, 4, 4, 4, 1, new Float32Array(16), 0, 3, new Float32Array(16), 0, 4, 0, new Float32Array(16), 0, 4), { message: /leading dimension 3 is less than 4/ });
});

test('the bench probes (FMA peak, memory bandwidth) return positive figures and name bad arguments', (t) => {
  t.true(native.fma_peak(0.01, 1, 12) > 0);
  t.true(native.memory_bandwidth(4, 1, 1) > 0);
  t.throws(() => native.fma_peak(0, 1, 12), { message: /fma_peak: seconds must be in \(0, 10\]/ });
  t.throws(() => native.memory_bandwidth(0.5, 1, 1), { message: /memory_bandwidth: megabytes must be in \[1, 4096\]/ });
  t.throws(() => native.memory_bandwidth(4, 0, 1), { message: /memory_bandwidth/ });
});

test('the expert mix matches a float64 reference, and an MMoE bank of MLP experts its experts run one by one', (t) => {
  for (const [B, E, D] of [[1, 1, 1], [3, 4, 17], [129, 3, 5], [256, 4, 64]] as [number, number, number][]) {
    const X = randomArray(B * E * D), G = randomArray(B * E, 0, 1);
    const outs = Array.from({ length: E }, (_, e) => {
      const xe = new Float64Array(B * D);
      for (let b = 0; b < B; b++) for (let d = 0; d < D; d++) xe[b * D + d] = X[(b * E + e) * D + d];
      return t32(xe, [B, D]);
    });
    const expected = new Float64Array(B * D);
    for (let b = 0; b < B; b++) for (let e = 0; e < E; e++) for (let d = 0; d < D; d++) expected[b * D + d] += G[b * E + e] * X[(b * E + e) * D + d];
    assertClose(t, tl.mtl.mixExperts(outs, t32(G, [B, E])).data(), expected, { rtol: 1e-5, atol: 1e-5, what: `mix ${B}x${E}x${D}` });
  }
  tl.manualSeed(3);
  const model = new tl.mtl.MMoE({ inputDim: 7, numExperts: 3, expertHidden: [6, 5], tasks: [{ name: 'a', type: 'binary', towerHidden: [4] }] });
  const x = tl.randn([9, 7]);
  const fused = model.forward(x).a.data();
  const experts = model.experts.keys().map((k) => model.experts.get(k).forward(x) as tl.Tensor);
  const gate = tl.softmax(model.gates.get('a').forward(x), -1);
  const mixed = tl.add(tl.add(tl.mul(experts[0], tl.narrow(gate, 1, 0, 1)), tl.mul(experts[1], tl.narrow(gate, 1, 1, 1))), tl.mul(experts[2], tl.narrow(gate, 1, 2, 1)));
  const unfused = tl.reshape((model as unknown as { towers: tl.mtl.ModuleMap }).towers.get('a').forward(mixed) as tl.Tensor, [9]).data();
  assertClose(t, fused, unfused, { rtol: 1e-5, atol: 1e-6, what: 'MMoE bank' });
});

test('linear-family gradients: the first contribution is written, later ones (a shared input, a second backward) add to it', (t) => {
  for (const relu of [false, true]) {
    const { X, W, Bv } = clearOfKink(5, 2, 3, 4);
    const W2 = randomArray(3 * 8);
    const run = (twice: boolean) => {
      const x = t32(X, [5, 8]).requiresGrad_(), w = t32(W, [6, 4]).requiresGrad_(), b = t32(Bv, [6]).requiresGrad_();
      const w2 = t32(W2, [3, 8]);
      const loss = () => tl.add(tl.sum(tl.groupedLinear(x, w, b, 2, relu)), tl.sum(tl.linear(x, w2)));
      loss().backward();
      if (twice) loss().backward();
      return [x.grad!.data(), w.grad!.data(), b.grad!.data()];
    };
    const once = run(false), twice = run(true);
    once.forEach((g, i) => assertClose(t, twice[i], Array.from(g, (v) => 2 * v), { rtol: 1e-5, atol: 1e-5, what: `grad ${i} relu ${relu}` }));
    // x's gradient: both layers' contributions, the second added to the first.
    const x = t32(X, [5, 8]).requiresGrad_();
    tl.sum(tl.groupedLinear(x, t32(W, [6, 4]), t32(Bv, [6]), 2, relu)).backward();
    const a = x.grad!.data();
    const x2 = t32(X, [5, 8]).requiresGrad_();
    const w2 = t32(randomArray(3 * 8), [3, 8]);
    tl.sum(tl.linear(x2, w2)).backward();
    const bpart = x2.grad!.data();
    const x3 = t32(X, [5, 8]).requiresGrad_();
    tl.add(tl.sum(tl.groupedLinear(x3, t32(W, [6, 4]), t32(Bv, [6]), 2, relu)), tl.sum(tl.linear(x3, w2))).backward();
    assertClose(t, x3.grad!.data(), Array.from(a, (v, i) => v + bpart[i]), { rtol: 1e-5, atol: 1e-5, what: `shared input relu ${relu}` });
  }
});
