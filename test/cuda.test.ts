// The CUDA backend against the CPU backend. Every comparison runs the same op with the
// same float32 inputs on both devices and states its tolerance. Without a usable GPU the
// device tests are registered as skipped (their titles say so) and one line is printed;
// the tests of the no-GPU behaviour run everywhere.
import test from 'ava';
import * as tl from '../src/index.js';
import { native } from '../src/native.js';
import { GPU, forEachDevice, gpuTest } from './helpers/devices.js';
import { AWKWARD, assertClose, numel, randomArray } from './helpers/reference.js';

type Device = tl.Device;
type Op = (...xs: tl.Tensor[]) => tl.Tensor;

/** An op input: float inputs get gradients unless `grad` is false; int32 ones never do. */
type Input = [Float32Array | Int32Array, number[]] | { data: Float32Array | Int32Array; shape: number[]; grad: boolean };

function norm(i: Input) {
  return Array.isArray(i) ? { data: i[0], shape: i[1], grad: i[0] instanceof Float32Array } : i;
}

/** Forward output and every input's gradient (for a fixed random seed gradient) on `device`. */
function runOn(device: Device, op: Op, inputs: Input[], seed: Float64Array | null) {
  const xs = inputs.map((i) => {
    const { data, shape, grad } = norm(i);
    const x = tl.tensor(data, shape, { device });
    return grad ? x.requiresGrad_() : x;
  });
  const out = op(...xs);
  const result = { out: out.data(), grads: [] as (Float32Array | null)[] };
  if (seed && out.requiresGrad) {
    out.backward(tl.tensor(Float32Array.from(seed), out.shape, { device }));
    result.grads = xs.map((x) => (x.grad ? (x.grad.data() as Float32Array) : null));
  }
  for (const x of xs) x.dispose();
  out.dispose();
  return result;
}

/** Runs op on cpu and cuda and asserts outputs (and gradients) agree within tol. */
function compareDevices(
  t: import('ava').ExecutionContext,
  what: string,
  op: Op,
  inputs: Input[],
  outSize: number,
  tol: { rtol: number; atol: number },
  gradTol = tol,
) {
  const seed = randomArray(outSize, -1, 1);
  const cpu = runOn('cpu', op, inputs, seed);
  const gpu = runOn('cuda', op, inputs, seed);
  assertClose(t, gpu.out, cpu.out, { ...tol, what: `${what} forward` });
  cpu.grads.forEach((g, i) => {
    if (g) assertClose(t, gpu.grads[i] ?? [], g, { ...gradTol, what: `${what} grad of input ${i}` });
  });
}

/** The output size of op on the CPU. */
function sizeOf(op: Op, inputs: Input[]): number {
  return tl.noGrad(() => op(...inputs.map((i) => tl.tensor(norm(i).data, norm(i).shape))).size);
}

const f32 = (n: number, lo = -1, hi = 1) => Float32Array.from(randomArray(n, lo, hi));

// ---- runs everywhere: the no-GPU behaviour ----------------------------------------

test('cuda.isAvailable answers without throwing, and agrees with the build', (t) => {
  const ok = tl.cuda.isAvailable();
  t.is(typeof ok, 'boolean');
  if (!tl.buildInfo().cuda) t.false(ok);
  if (!ok) t.true(tl.cuda.unavailableReason().length > 0);
  else t.is(tl.cuda.unavailableReason(), '');
});

test('cuda.memoryStats reports byte counters', (t) => {
  const s = tl.cuda.memoryStats();
  for (const k of ['allocatedBytes', 'cachedBytes', 'peakAllocatedBytes', 'reservedBytes', 'allocCount', 'cacheHits', 'driverAllocs'] as const)
    t.true(Number.isInteger(s[k]) && s[k] >= 0, k);
  t.true(s.peakAllocatedBytes >= s.allocatedBytes);
  t.is(s.reservedBytes, s.allocatedBytes + s.cachedBytes);
});

test('cuda.setMatmulPrecision round-trips and rejects unknown names', (t) => {
  const before = tl.cuda.getMatmulPrecision();
  for (const p of ['high', 'medium', 'highest'] as const) {
    tl.cuda.setMatmulPrecision(p);
    t.is(tl.cuda.getMatmulPrecision(), p);
  }
  const e = t.throws(() => tl.cuda.setMatmulPrecision('low' as tl.MatmulPrecision));
  t.is(e?.message, `cuda.setMatmulPrecision: unknown precision "low" (expected 'highest', 'high' or 'medium')`);
  tl.cuda.setMatmulPrecision(before);
});

test('without a GPU, cuda tensors and device facts fail with a clear error', (t) => {
  if (GPU) {
    t.pass('a GPU is present');
    return;
  }
  t.throws(() => tl.tensor([1, 2, 3], null, { device: 'cuda' }), { message: /device 'cuda' is not available/ });
  t.throws(() => tl.tensor([1, 2, 3]).to('cuda'), { message: /device 'cuda' is not available/ });
  t.throws(() => tl.cuda.deviceName(), { message: /cuda.deviceName: no usable GPU/ });
  t.notThrows(() => tl.cuda.synchronize());
});

test('the binding refuses foreign objects as device buffers', (t) => {
  t.throws(() => native.cuda_download({}, 'float32', 1), { message: /^(cuda_download: argument 0 must be a device buffer|cuda: this build of trunkline has no CUDA support)$/ });
  t.throws(() => native.fill({}, 0, 1), { message: /fill: argument 0 must be a float32 buffer/ });
});

// ---- once per device ------------------------------------------------------------

forEachDevice(test, 'a small graph gives the float64 reference values and gradients', (t, device) => {
  const x = tl.tensor([-1.5, 0.25, 2], null, { device }).requiresGrad_();
  const w = tl.tensor([0.5, -2, 3], null, { device }).requiresGrad_();
  const y = tl.add(tl.mul(tl.relu(x), w), tl.exp(x)); // relu(x) * w + exp(x)
  t.is(y.device, device);
  assertClose(t, y.data(), [Math.exp(-1.5), 0.25 * -2 + Math.exp(0.25), 6 + Math.exp(2)], { rtol: 1e-5, atol: 1e-6, what: device });
  y.backward(tl.onesLike(y));
  assertClose(t, x.grad!.data(), [Math.exp(-1.5), -2 + Math.exp(0.25), 3 + Math.exp(2)], { rtol: 1e-5, atol: 1e-6, what: `${device} dx` });
  assertClose(t, w.grad!.data(), [0, 0.25, 2], { rtol: 1e-6, atol: 0, what: `${device} dw` });
});

// ---- on the GPU ---------------------------------------------------------------------

gpuTest(test, 'deviceName names the card and its compute capability', (t) => {
  t.regex(tl.cuda.deviceName(), /\(sm_\d+\)$/);
});

gpuTest(test, 'to(cuda) and back is exact for float32 and int32', (t) => {
  const x = f32(1000, -1e6, 1e6);
  const back = tl.tensor(x, [10, 100]).to('cuda').to('cpu');
  t.deepEqual(back.shape, [10, 100]);
  t.deepEqual(back.data(), x);
  const i = Int32Array.from({ length: 129 }, (_, k) => k * 7919 - 500000);
  t.deepEqual(tl.tensor(i, null, { device: 'cuda' }).data(), i);
  t.deepEqual(tl.zeros([17], { device: 'cuda' }).data(), new Float32Array(17));
});

// The elementwise ops run on every device from their own table (test/elementwise.test.ts).
// The device math uses fast intrinsics (--use_fast_math): a few ulp on exp/log/tanh, hence
// 1e-4 relative with a 1e-5 absolute floor for softmax.
const ELEMENTWISE_TOL = { rtol: 1e-4, atol: 1e-5 };

// ---- matmul ----------------------------------------------------------------------

// Inputs in [-1, 1]; the error of a k-term dot product grows like sqrt(k) times the
// unit roundoff of the operand format: fp32 2^-24, TF32 2^-11, BF16 2^-8 (per product),
// accumulation in fp32 everywhere.
const MATMUL_TOL: Record<tl.MatmulPrecision, (k: number) => { rtol: number; atol: number }> = {
  highest: (k) => ({ rtol: 1e-4, atol: 2e-6 * Math.sqrt(k) }),
  high: (k) => ({ rtol: 2e-3, atol: 2e-3 * Math.sqrt(k) }),
  medium: (k) => ({ rtol: 1e-2, atol: 1.5e-2 * Math.sqrt(k) }),
};

const matmulShapes: [number[], number[]][] = [
  [[1, 1], [1, 1]],
  [[3, 17], [17, 129]],
  [[129, 130], [130, 65]],
  [[300, 257], [257, 513]], // several 128x128 tiles with ragged edges
  [[2, 3, 17, 33], [33, 20]], // batched, b broadcast over the batch
  [[4, 16, 8], [4, 8, 24]],
];

for (const precision of ['highest', 'high', 'medium'] as const) {
  gpuTest(test, `cuda matmul (${precision}) forward and backward match the CPU`, (t) => {
    const before = tl.cuda.getMatmulPrecision();
    tl.cuda.setMatmulPrecision(precision);
    try {
      for (const [as, bs] of matmulShapes) {
        const k = as[as.length - 1];
        const a = f32(numel(as)), b = f32(numel(bs));
        const outSize = sizeOf(tl.matmul, [[a, as], [b, bs]]);
        // grad a sums over n, grad b over batch * m (b broadcasts over the batch).
        const gk = Math.max(bs[bs.length - 1], numel(as) / k);
        compareDevices(t, `matmul ${precision} ${JSON.stringify(as)} @ ${JSON.stringify(bs)}`, tl.matmul,
          [[a, as], [b, bs]], outSize, MATMUL_TOL[precision](k), MATMUL_TOL[precision](gk));
      }
    } finally {
      tl.cuda.setMatmulPrecision(before);
    }
  });
}

// ---- the other op families -------------------------------------------------------

/** Registers a GPU test comparing op on both devices for each case. */
function familyTest(title: string, cases: [string, Op, Input[]][], tol: { rtol: number; atol: number }, gradTol = tol) {
  gpuTest(test, `cuda ${title} match the CPU`, (t) => {
    for (const [what, op, inputs] of cases) compareDevices(t, what, op, inputs, sizeOf(op, inputs), tol, gradTol);
  });
}

const i32 = (n: number, hi: number) => Int32Array.from(randomArray(n, 0, hi), (v) => Math.min(hi - 1, Math.floor(v)));
const x3 = f32(2 * 3 * 4 * 5);
const rows = f32(3 * 129);
const wide = f32(4 * 3000, -5, 5);

// Reductions accumulate in float64 on both devices; only the summation order differs.
familyTest('reductions (sum, mean, max, min, variance) forward and backward', [
  ['sum all', (x) => tl.sum(x), [[x3, [2, 3, 4, 5]]]],
  ['sum axis 1', (x) => tl.sum(x, [1]), [[x3, [2, 3, 4, 5]]]],
  ['sum axes 0,2 keepdims', (x) => tl.sum(x, [0, 2], true), [[x3, [2, 3, 4, 5]]]],
  ['mean last', (x) => tl.mean(x, [-1]), [[rows, [3, 129]]]],
  ['mean first of wide', (x) => tl.mean(x, [0]), [[wide, [4, 3000]]]],
  ['sum of 12000', (x) => tl.sum(x), [[wide, [12000]]]],
  ['max axis 1', (x) => tl.max(x, [1]), [[x3, [2, 3, 4, 5]]]],
  ['min last', (x) => tl.min(x, [-1]), [[rows, [3, 129]]]],
  ['max of 12000', (x) => tl.max(x), [[wide, [12000]]]],
  ['argmax last', (x) => tl.argmax(x, -1), [{ data: rows, shape: [3, 129], grad: false }]],
  ['argmin axis 0', (x) => tl.argmin(x, 0), [{ data: wide, shape: [4, 3000], grad: false }]],
  ['variance axes 1,3', (x) => tl.variance(x, [1, 3]), [[x3, [2, 3, 4, 5]]]],
  ['variance last, correction 0', (x) => tl.variance(x, [-1], false, 0), [[wide, [4, 3000]]]],
], { rtol: 1e-5, atol: 1e-5 });

familyTest('shape ops (permute, concat, slice, indexSelect, gather, broadcastTo) forward and backward', [
  ['permute', (x) => tl.permute(x, [3, 1, 0, 2]), [[x3, [2, 3, 4, 5]]]],
  ['transpose', (x) => tl.transpose(x), [[rows, [3, 129]]]],
  ['concat axis 1', (a, b) => tl.concat([a, b], 1), [[rows, [3, 129]], [f32(3 * 17), [3, 17]]]],
  ['slice', (x) => tl.slice(x, [1, 0, 1, 2], [1, 3, 2, 3]), [[x3, [2, 3, 4, 5]]]],
  ['broadcastTo', (x) => tl.broadcastTo(x, [4, 3, 129]), [[rows, [3, 129]]]],
  ['indexSelect (repeats)', (x, i) => tl.indexSelect(x, 1, i), [[rows, [3, 129]], [Int32Array.from([5, 0, 5, 128, 7]), [5]]]],
  ['gather axis 1', (x, i) => tl.gather(x, 1, i), [[rows, [3, 129]], [i32(3 * 40, 129), [3, 40]]]],
], { rtol: 0, atol: 0 }, { rtol: 1e-6, atol: 1e-6 });

familyTest('softmax and logSoftmax along every kind of axis forward and backward', [
  ['softmax last (warp rows)', (x) => tl.softmax(x, -1), [[rows, [3, 129]]]],
  ['softmax long rows (block rows)', (x) => tl.softmax(x, -1), [[wide, [4, 3000]]]],
  ['softmax axis 0 (strided)', (x) => tl.softmax(x, 0), [[rows, [3, 129]]]],
  ['logSoftmax middle axis', (x) => tl.logSoftmax(x, 1), [[x3, [2, 3, 4, 5]]]],
  ['logSoftmax long rows', (x) => tl.logSoftmax(x, -1), [[wide, [4, 3000]]]],
], ELEMENTWISE_TOL);

const labels = Int32Array.from({ length: 129 }, (_, i) => (i % 11 === 0 ? -100 : (i * 7) % 17));
familyTest('fused losses forward and backward', [
  ['cross-entropy mean, ignored rows', (z, y) => tl.crossEntropy(z, y), [[f32(129 * 17, -4, 4), [129, 17]], [labels, [129]]]],
  ['cross-entropy none, smoothing, class weights', (z, y, w) => tl.crossEntropy(z, y, { reduction: 'none', labelSmoothing: 0.1, classWeights: w }),
    [[f32(129 * 17, -4, 4), [129, 17]], [labels, [129]], { data: f32(17, 0.5, 2), shape: [17], grad: false }]],
  ['bce sum with mask', (x, y, m) => tl.bceWithLogits(x, y, { reduction: 'sum', mask: m }),
    [[f32(3 * 129, -6, 6), [3, 129]], [f32(3 * 129, 0, 1), [3, 129]], { data: Float32Array.from(i32(3 * 129, 2)), shape: [3, 129], grad: false }]],
  ['mse mean', (p, q) => tl.mse(p, q), [[rows, [3, 129]], [f32(3 * 129), [3, 129]]]],
], { rtol: 1e-4, atol: 1e-5 });

familyTest('embedding and embeddingBag forward and backward', [
  ['embedding (repeated rows)', (w, i) => tl.embedding(w, i), [[f32(50 * 17), [50, 17]], [i32(129, 50), [129]]]],
  ['embeddingBag mean', (w, i, o) => tl.embeddingBag(w, i, o, 'mean'), [[f32(50 * 17), [50, 17]], [i32(40, 50), [40]], [Int32Array.from([0, 3, 3, 20]), [4]]]],
  ['embeddingBag sum with weights', (w, i, o, p) => tl.embeddingBag(w, i, o, 'sum', p),
    [[f32(50 * 17), [50, 17]], [i32(40, 50), [40]], [Int32Array.from([0, 10, 39]), [3]], [f32(40), [40]]]],
], { rtol: 1e-5, atol: 1e-5 });

familyTest('conv2d and pooling forward and backward', [
  ['conv2d 3x3 pad 1', (x, w, b) => tl.conv2d(x, w, b, { padding: 1 }), [[f32(2 * 3 * 9 * 11), [2, 3, 9, 11]], [f32(4 * 3 * 9), [4, 3, 3, 3]], [f32(4), [4]]]],
  ['conv2d stride 2, dilation 2, groups 2', (x, w) => tl.conv2d(x, w, null, { stride: 2, dilation: 2, groups: 2, padding: [1, 2] }),
    [[f32(2 * 4 * 13 * 10), [2, 4, 13, 10]], [f32(6 * 2 * 9), [6, 2, 3, 3]]]],
  ['maxPool2d 3x3 stride 2 pad 1', (x) => tl.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), [[f32(2 * 3 * 9 * 11), [2, 3, 9, 11]]]],
  ['avgPool2d 2x2', (x) => tl.avgPool2d(x, { kernelSize: 2 }), [[f32(2 * 3 * 9 * 11), [2, 3, 9, 11]]]],
], MATMUL_TOL.highest(27), MATMUL_TOL.highest(2 * 9 * 11));

gpuTest(test, 'cuda optimizer updates match the CPU', (t) => {
  const n = 1000;
  const p0 = f32(n), g0 = f32(n);
  const run = (device: Device, update: (p: tl.Tensor, g: tl.Tensor, s: tl.Tensor[]) => void) => {
    const p = tl.tensor(p0, null, { device }), g = tl.tensor(g0, null, { device });
    const state = [0, 1, 2].map(() => tl.zeros([n], { device }));
    for (let k = 0; k < 3; k++) update(p, g, state);
    return [p.data(), ...state.map((s) => s.data())];
  };
  const updates: [string, (p: tl.Tensor, g: tl.Tensor, s: tl.Tensor[]) => void][] = [
    ['sgd nesterov', (p, g, [b]) => tl.sgdUpdate(p, g, b, { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 1e-2, nesterov: true }, false)],
    ['adamw amsgrad', (p, g, [m, v, vmax]) => tl.adamUpdate(p, g, m, v, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2, decoupled: true, step: 2, amsgrad: true }, vmax)],
  ];
  for (const [what, update] of updates) {
    const cpu = run('cpu', update);
    const gpu = run('cuda', update);
    cpu.forEach((c, i) => assertClose(t, gpu[i], c, { rtol: 1e-5, atol: 1e-6, what: `${what} buffer ${i}` }));
  }
  t.pass();
});

// ---- memory, synchronisation and errors ------------------------------------------

gpuTest(test, 'the caching allocator reuses freed blocks and tracks peak bytes', (t) => {
  tl.cuda.synchronize();
  const s0 = tl.cuda.memoryStats();
  const x = tl.zeros([1000, 1000], { device: 'cuda' });
  const s1 = tl.cuda.memoryStats();
  t.true(s1.allocatedBytes - s0.allocatedBytes >= 4e6, 'allocation counted');
  t.true(s1.peakAllocatedBytes >= s1.allocatedBytes);
  x.dispose();
  const s2 = tl.cuda.memoryStats();
  t.is(s2.allocatedBytes, s0.allocatedBytes);
  t.true(s2.cachedBytes >= s1.allocatedBytes - s0.allocatedBytes, 'freed block kept in the cache');
  const y = tl.zeros([1000, 1000], { device: 'cuda' });
  const s3 = tl.cuda.memoryStats();
  t.is(s3.cacheHits, s2.cacheHits + 1, 'same size class served from the cache');
  t.is(s3.driverAllocs, s2.driverAllocs);
  y.dispose();
  tl.cuda.emptyCache();
  t.is(tl.cuda.memoryStats().cachedBytes, 0);
});

gpuTest(test, 'synchronize waits with a deadline', (t) => {
  const x = tl.tensor(f32(1 << 20), null, { device: 'cuda' });
  tl.exp(x);
  t.notThrows(() => tl.cuda.synchronize(60000));
  t.throws(() => tl.cuda.synchronize(-1), { message: /timeoutMs must be a positive number/ });
});

gpuTest(test, 'mixing devices in one op is a clear error, in TS and in the binding', (t) => {
  const c = tl.tensor([1, 2, 3]);
  const g = tl.tensor([1, 2, 3], null, { device: 'cuda' });
  t.throws(() => tl.add(c, g), { message: /add: tensors are on different devices \(cpu and cuda\)/ });
  t.throws(() => native.axpy(c.kbuf, g.kbuf, 1, 3), { message: 'axpy: buffers are on different devices (cpu and cuda mixed in one call)' });
});

gpuTest(test, 'out of memory names the bytes asked for; freed buffers are refused', (t) => {
  const huge = 2 ** 40; // 4 TiB of float32
  t.throws(() => native.cuda_alloc('float32', huge, false), { message: new RegExp(`cuda_alloc: cuda: out of memory allocating ${huge * 4} bytes`) });
  const buf = native.cuda_alloc('float32', 4, true);
  native.cuda_free(buf);
  t.throws(() => native.cuda_download(buf, 'float32', 4), { message: 'cuda_download: argument 0 is a freed device buffer' });
  t.throws(() => native.fill(buf, 1, 4), { message: 'fill: argument 0 is a freed device buffer' });
  const small = native.cuda_alloc('float32', 4, true);
  t.throws(() => native.fill(small, 1, 5), { message: 'fill: argument 0 holds 4 elements, the kernel needs 5' });
  t.throws(() => native.cuda_download(small, 'int32', 4), { message: 'cuda_download: the buffer holds float32, asked for int32' });
  native.cuda_free(small);
});
