// Elementwise ops on every device present (cpu always, cuda with a GPU): forward against
// a float64 reference, gradients against finite differences and (binary ops) against the
// float64 reference of the broadcast gradient sums. One row per op; each device has its
// own tolerance.
import test from 'ava';
import * as tl from '../src/index.js';
import { forEachDevice, gradcheckOn, type Tol } from './helpers/devices.js';
import { AWKWARD, assertClose, forEachIndex, numel, randomArray, strides } from './helpers/reference.js';

type Device = tl.Device;

// float32 results of float64-exact functions: a few ulp relative plus a small absolute
// floor near zero on the CPU. The GPU's flush-to-zero and fast division cost a few ulp
// more.
const TOL: Record<Device, Tol> = {
  cpu: { rtol: 4e-6, atol: 1e-6 },
  cuda: { rtol: 1e-4, atol: 1e-5 },
};

const GELU_C = Math.sqrt(2 / Math.PI);

// [name, op, float64 reference, input range]
const unaryCases: [string, (x: tl.Tensor) => tl.Tensor, (x: number) => number, [number, number]][] = [
  ['neg', tl.neg, (x) => -x, [-3, 3]],
  ['exp', tl.exp, Math.exp, [-5, 5]],
  ['log', tl.log, Math.log, [0.1, 5]],
  ['sqrt', tl.sqrt, Math.sqrt, [0.01, 5]],
  ['abs', tl.abs, Math.abs, [-3, 3]],
  ['relu', tl.relu, (x) => Math.max(0, x), [-3, 3]],
  ['leakyRelu', (x) => tl.leakyRelu(x, 0.1), (x) => (x > 0 ? x : 0.1 * x), [-3, 3]],
  ['gelu', tl.gelu, (x) => 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x ** 3))), [-4, 4]],
  ['sigmoid', tl.sigmoid, (x) => 1 / (1 + Math.exp(-x)), [-8, 8]],
  ['tanh', tl.tanh, Math.tanh, [-4, 4]],
  ['clamp', (x) => tl.clamp(x, -0.5, 0.7), (x) => Math.min(0.7, Math.max(-0.5, x)), [-2, 2]],
  ['pow(2.5)', (x) => tl.pow(x, 2.5), (x) => x ** 2.5, [0.1, 3]],
  ['pow(2) of negative and positive bases', (x) => tl.pow(x, 2), (x) => x ** 2, [-3, 3]],
  ['pow(3) of negative and positive bases', (x) => tl.pow(x, 3), (x) => x ** 3, [-2, 2]],
  ['square', tl.square, (x) => x * x, [-3, 3]],
  ['silu', tl.silu, (x) => x / (1 + Math.exp(-x)), [-6, 6]],
  ['softplus', tl.softplus, (x) => Math.log1p(Math.exp(x)), [-20, 20]],
];

const f32 = (n: number, lo: number, hi: number) => Float32Array.from(randomArray(n, lo, hi));

for (const [name, op, ref, [lo, hi]] of unaryCases) {
  forEachDevice(test, `${name} forward matches the float64 reference on awkward sizes`, (t, device) => {
    for (const n of [...AWKWARD, 40000]) {
      const x = f32(n, lo, hi);
      const out = op(tl.tensor(x, [n], { device })).data();
      assertClose(t, out, Array.from(x, ref), { ...TOL[device], what: `${name} n=${n}` });
    }
  });

  forEachDevice(test, `${name} backward matches finite differences`, (t, device) => {
    // Keep away from kinks (relu/abs/clamp at 0 and bounds) where FD is undefined.
    const raw = randomArray(7, lo, hi).map((v) => (Math.abs(v) < 0.05 || Math.abs(v + 0.5) < 0.05 || Math.abs(v - 0.7) < 0.05 ? v + 0.13 : v));
    const r = gradcheckOn(device, op, [{ data: Float32Array.from(raw), shape: [7] }], { eps: 1e-3, tolerance: 1e-2 });
    t.true(r.ok, `worst error ${r.maxError} at ${JSON.stringify(r.worst)}`);
  });
}

forEachDevice(test, 'pow: 0^0 is 1, a negative base to an integer power is finite', (t, device) => {
  t.deepEqual(Array.from(tl.pow(tl.zeros([3], { device }), 0).data()), [1, 1, 1]);
  t.deepEqual(Array.from(tl.pow(tl.tensor([-2, -1.5, 0, 3], [4], { device }), 2).data()), [4, 2.25, 0, 9]);
});

// [name, op, float64 reference, its partials (d/da, d/db), operand range]
const binaryCases: [string, (a: tl.Tensor, b: tl.Tensor) => tl.Tensor, (a: number, b: number) => number, (a: number, b: number) => [number, number], [number, number]][] = [
  ['add', tl.add, (a, b) => a + b, () => [1, 1], [-2, 2]],
  ['sub', tl.sub, (a, b) => a - b, () => [1, -1], [-2, 2]],
  ['mul', tl.mul, (a, b) => a * b, (a, b) => [b, a], [-2, 2]],
  ['div', tl.div, (a, b) => a / b, (a, b) => [1 / b, -a / (b * b)], [0.2, 2]],
  ['pow', tl.pow, (a, b) => a ** b, (a, b) => [b * a ** (b - 1), a ** b * Math.log(a)], [0.2, 2]],
  ['maximum', tl.maximum, Math.max, (a, b) => (a >= b ? [1, 0] : [0, 1]), [-2, 2]],
  ['minimum', tl.minimum, Math.min, (a, b) => (a <= b ? [1, 0] : [0, 1]), [-2, 2]],
];

const broadcastPairs: [number[], number[]][] = [
  [[17], [17]],
  [[3, 129], [129]],
  [[3, 1, 17], [1, 5, 17]],
  [[129, 3], [129, 1]],
  [[1], [2, 3, 17]],
  [[], [3, 4]],
  [[2, 3, 4, 5], [3, 1, 5]],
  [[300, 257], [1]],
];

/** The broadcast output shape and, per output element, the flat index read from a and from b. */
function broadcastIndex(as: number[], bs: number[]) {
  const n = Math.max(as.length, bs.length);
  const shape = Array.from({ length: n }, (_, i) => Math.max(as[as.length - n + i] ?? 1, bs[bs.length - n + i] ?? 1));
  const sa = strides(as), sb = strides(bs);
  const ia = new Int32Array(numel(shape)), ib = new Int32Array(numel(shape));
  forEachIndex(shape, (idx, flat) => {
    for (let d = 0; d < n; d++) {
      const da = d - (n - as.length), db = d - (n - bs.length);
      if (da >= 0 && as[da] !== 1) ia[flat] += idx[d] * sa[da];
      if (db >= 0 && bs[db] !== 1) ib[flat] += idx[d] * sb[db];
    }
  });
  return { shape, ia, ib };
}

for (const [name, op, ref, partials, [lo, hi]] of binaryCases) {
  const what = (as: number[], bs: number[]) => `${name} ${JSON.stringify(as)} ${JSON.stringify(bs)}`;

  forEachDevice(test, `${name} forward broadcasts like the float64 reference`, (t, device) => {
    for (const [as, bs] of broadcastPairs) {
      const a = f32(numel(as), lo, hi), b = f32(numel(bs), lo, hi);
      const { shape, ia, ib } = broadcastIndex(as, bs);
      const res = op(tl.tensor(a, as, { device }), tl.tensor(b, bs, { device }));
      t.deepEqual([...res.shape], shape);
      assertClose(t, res.data(), Array.from(ia, (_, i) => ref(a[ia[i]], b[ib[i]])), { ...TOL[device], what: what(as, bs) });
    }
  });

  forEachDevice(test, `${name} backward sums each input's gradient over its broadcast like the float64 reference`, (t, device) => {
    for (const [as, bs] of broadcastPairs) {
      const a = f32(numel(as), lo, hi), b = f32(numel(bs), lo, hi);
      const { shape, ia, ib } = broadcastIndex(as, bs);
      const g = f32(numel(shape), -1, 1);
      const ga = new Float64Array(a.length), gb = new Float64Array(b.length);
      const absA = new Float64Array(a.length), absB = new Float64Array(b.length);
      for (let i = 0; i < g.length; i++) {
        const [da, db] = partials(a[ia[i]], b[ib[i]]);
        ga[ia[i]] += g[i] * da;
        gb[ib[i]] += g[i] * db;
        absA[ia[i]] += Math.abs(g[i] * da);
        absB[ib[i]] += Math.abs(g[i] * db);
      }
      const ta = tl.tensor(a, as, { device }).requiresGrad_(), tb = tl.tensor(b, bs, { device }).requiresGrad_();
      op(ta, tb).backward(tl.tensor(g, shape, { device }));
      // A gradient summed over many outputs (in any order: the GPU adds atomically) carries
      // float32 rounding in proportion to the magnitudes of its terms: 1e-6 of their sum.
      for (const [k, x, ref64, abs] of [[0, ta, ga, absA], [1, tb, gb, absB]] as const) {
        const got = x.grad!.data();
        let worst = '';
        for (let i = 0; i < ref64.length && !worst; i++) {
          const bound = TOL[device].atol + TOL[device].rtol * Math.abs(ref64[i]) + 1e-6 * abs[i];
          if (!(Math.abs(got[i] - ref64[i]) <= bound)) worst = `element ${i} is ${got[i]}, expected ${ref64[i]} (bound ${bound})`;
        }
        t.is(worst, '', `${what(as, bs)} gradient of input ${k}`);
      }
    }
  });

  forEachDevice(test, `${name} backward matches finite differences`, (t, device) => {
    for (const [as, bs] of [[[3, 4], [4]], [[2, 1, 3], [1, 4, 1]], [[5], [5]]] as [number[], number[]][]) {
      const a = f32(numel(as), 0.5, 2);
      // Keep max/min operands apart so the finite difference never crosses a tie.
      const apart = name === 'maximum' || name === 'minimum';
      const b = f32(numel(bs), apart ? 2.2 : 0.5, apart ? 3 : 2);
      const r = gradcheckOn(device, op, [{ data: a, shape: as }, { data: b, shape: bs }], { eps: 1e-3, tolerance: 1e-2 });
      t.true(r.ok, `${what(as, bs)}: worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
    }
  });
}

test('binary ops accept a number on either side', (t) => {
  const x = tl.tensor([1, 2, 3]);
  t.deepEqual([...tl.mul(x, 2).data()], [2, 4, 6]);
  t.deepEqual([...tl.sub(x, 1).data()], [0, 1, 2]);
  t.deepEqual([...tl.rsub(x, 1).data()], [0, -1, -2]);
});

test('binary ops name both shapes when they cannot broadcast', (t) => {
  const e = t.throws(() => tl.add(tl.zeros([2, 3]), tl.zeros([4, 3])));
  t.is(e?.message, 'add: shapes [2,3] and [4,3] cannot be broadcast together (dim 0: 2 vs 4)');
});

test('elementwise ops refuse int32 input by name', (t) => {
  const e = t.throws(() => tl.exp(tl.tensor([1, 2], null, { dtype: 'int32' })));
  t.regex(e!.message, /exp: input must be float32, got int32/);
});
