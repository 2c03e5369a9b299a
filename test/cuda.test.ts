// The CUDA backend against the CPU backend. Every comparison runs the same op with the
// same float32 inputs on both devices and states its tolerance. Without a usable GPU the
// device tests are registered as skipped (their titles say so) and one line is printed;
// the tests of the no-GPU behaviour run everywhere.
import test from 'ava';
import * as tl from '../src/index.js';
import { native } from '../src/native.js';
import { GPU, gpuTest } from './helpers/devices.js';
import { AWKWARD, assertClose, numel, randomArray } from './helpers/reference.js';

type Device = tl.Device;
type Op = (...xs: tl.Tensor[]) => tl.Tensor;

/** Forward output and every input's gradient (for a fixed random seed gradient) on `device`. */
function runOn(device: Device, op: Op, inputs: [Float32Array, number[]][], seed: Float64Array | null) {
  const xs = inputs.map(([d, s]) => tl.tensor(d, s, { device }).requiresGrad_());
  const out = op(...xs);
  const result = { out: out.data(), grads: [] as Float32Array[] };
  if (seed) {
    out.backward(tl.tensor(Float32Array.from(seed), out.shape, { device }));
    result.grads = xs.map((x) => (x.grad ? (x.grad.data() as Float32Array) : new Float32Array()));
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
  inputs: [Float32Array, number[]][],
  outSize: number,
  tol: { rtol: number; atol: number },
  gradTol = tol,
) {
  const seed = randomArray(outSize, -1, 1);
  const cpu = runOn('cpu', op, inputs, seed);
  const gpu = runOn('cuda', op, inputs, seed);
  assertClose(t, gpu.out, cpu.out, { ...tol, what: `${what} forward` });
  cpu.grads.forEach((g, i) => assertClose(t, gpu.grads[i], g, { ...gradTol, what: `${what} grad of input ${i}` }));
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

// The device math uses fast intrinsics (--use_fast_math): a few ulp on exp/log/tanh/pow,
// hence 1e-4 relative with a 1e-5 absolute floor (vs 4e-6 on the CPU-vs-float64 tests).
const ELEMENTWISE_TOL = { rtol: 1e-4, atol: 1e-5 };

const unaryCases: [string, Op, [number, number]][] = [
  ['neg', tl.neg, [-3, 3]],
  ['exp', tl.exp, [-5, 5]],
  ['log', tl.log, [0.1, 5]],
  ['sqrt', tl.sqrt, [0.01, 5]],
  ['abs', tl.abs, [-3, 3]],
  ['relu', tl.relu, [-3, 3]],
  ['leakyRelu', (x) => tl.leakyRelu(x, 0.1), [-3, 3]],
  ['gelu', tl.gelu, [-4, 4]],
  ['sigmoid', tl.sigmoid, [-8, 8]],
  ['tanh', tl.tanh, [-4, 4]],
  ['clamp', (x) => tl.clamp(x, -0.5, 0.7), [-2, 2]],
  ['pow(2.5)', (x) => tl.pow(x, 2.5), [0.1, 3]],
];

for (const [name, op, [lo, hi]] of unaryCases) {
  gpuTest(test, `cuda ${name} forward and backward match the CPU`, (t) => {
    for (const n of [...AWKWARD, 40000]) compareDevices(t, `${name} n=${n}`, op, [[f32(n, lo, hi), [n]]], n, ELEMENTWISE_TOL);
  });
}

const binaryCases: [string, Op][] = [
  ['add', tl.add], ['sub', tl.sub], ['mul', tl.mul], ['div', tl.div],
  ['pow', tl.pow], ['maximum', tl.maximum], ['minimum', tl.minimum],
];
const broadcastPairs: [number[], number[]][] = [
  [[17], [17]], [[3, 129], [129]], [[3, 1, 17], [1, 5, 17]], [[129, 3], [129, 1]],
  [[1], [2, 3, 17]], [[], [3, 4]], [[2, 3, 4, 5], [3, 1, 5]], [[300, 257], [1]],
];

for (const [name, op] of binaryCases) {
  gpuTest(test, `cuda ${name} broadcasts forward and reduces gradients like the CPU`, (t) => {
    const positive = name === 'pow' || name === 'div';
    for (const [as, bs] of broadcastPairs) {
      const a = f32(numel(as), positive ? 0.2 : -2, 2);
      const b = f32(numel(bs), positive ? 0.2 : -2, 2);
      const outSize = op(tl.tensor(a, as), tl.tensor(b, bs)).size;
      // Broadcast gradients are summed with atomics on the GPU (another order than the
      // CPU's loop): the absolute floor grows to 1e-3 for sums of up to ~77k terms.
      compareDevices(t, `${name} ${JSON.stringify(as)} ${JSON.stringify(bs)}`, op, [[a, as], [b, bs]], outSize,
        ELEMENTWISE_TOL, { rtol: 1e-4, atol: 1e-3 });
    }
  });
}

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
        const outSize = tl.matmul(tl.tensor(a, as), tl.tensor(b, bs)).size;
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
