// Elementwise kernels against a float64 reference, and their gradients against finite
// differences.
import test from 'ava';
import * as tl from '../src/index.js';
import { AWKWARD, assertClose, forEachIndex, numel, randomArray, strides, t32 } from './helpers/reference.js';

const unaryCases: [string, (x: tl.Tensor) => tl.Tensor, (x: number) => number, [number, number]][] = [
  ['neg', tl.neg, (x) => -x, [-3, 3]],
  ['exp', tl.exp, Math.exp, [-5, 5]],
  ['log', tl.log, Math.log, [0.1, 5]],
  ['sqrt', tl.sqrt, Math.sqrt, [0.01, 5]],
  ['abs', tl.abs, Math.abs, [-3, 3]],
  ['relu', tl.relu, (x) => Math.max(0, x), [-3, 3]],
  ['leakyRelu', (x) => tl.leakyRelu(x, 0.1), (x) => (x > 0 ? x : 0.1 * x), [-3, 3]],
  ['gelu', tl.gelu, (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))), [-4, 4]],
  ['sigmoid', tl.sigmoid, (x) => 1 / (1 + Math.exp(-x)), [-8, 8]],
  ['tanh', tl.tanh, Math.tanh, [-4, 4]],
  ['clamp', (x) => tl.clamp(x, -0.5, 0.7), (x) => Math.min(0.7, Math.max(-0.5, x)), [-2, 2]],
  ['pow(2.5)', (x) => tl.pow(x, 2.5), (x) => x ** 2.5, [0.1, 3]],
  ['square', tl.square, (x) => x * x, [-3, 3]],
];

// Tolerance: float32 results of float64-exact functions, 2 ulp-ish relative plus a small
// absolute floor for values near zero.
const TOL = { rtol: 2e-6, atol: 1e-6 };

for (const [name, op, ref, [lo, hi]] of unaryCases) {
  test(`${name} forward matches the float64 reference on awkward sizes`, (t) => {
    for (const n of [...AWKWARD, 40000]) {
      const x = randomArray(n, lo, hi);
      const x32 = Float32Array.from(x);
      const out = op(tl.tensor(x32, [n])).data();
      assertClose(t, out, Array.from(x32, ref), { ...TOL, rtol: 4e-6, what: `${name} n=${n}` });
    }
  });

  test(`${name} backward matches finite differences`, (t) => {
    // Keep away from kinks (relu/abs/clamp at 0 and bounds) where FD is undefined.
    const raw = randomArray(7, lo, hi).map((v) => (Math.abs(v) < 0.05 || Math.abs(v + 0.5) < 0.05 || Math.abs(v - 0.7) < 0.05 ? v + 0.13 : v));
    const x = t32(raw, [7]).requiresGrad_();
    const r = tl.gradcheck((a) => op(a), [x], { eps: 1e-3, tolerance: 1e-2 });
    t.true(r.ok, `worst error ${r.maxError} at ${JSON.stringify(r.worst)}`);
  });
}

const binaryCases: [string, (a: tl.Tensor, b: tl.Tensor) => tl.Tensor, (a: number, b: number) => number][] = [
  ['add', tl.add, (a, b) => a + b],
  ['sub', tl.sub, (a, b) => a - b],
  ['mul', tl.mul, (a, b) => a * b],
  ['div', tl.div, (a, b) => a / b],
  ['pow', tl.pow, (a, b) => a ** b],
  ['maximum', tl.maximum, Math.max],
  ['minimum', tl.minimum, Math.min],
];

const broadcastPairs: [number[], number[]][] = [
  [[17], [17]],
  [[3, 129], [129]],
  [[3, 1, 17], [1, 5, 17]],
  [[129, 3], [129, 1]],
  [[1], [2, 3, 17]],
  [[], [3, 4]],
  [[2, 3, 4, 5], [3, 1, 5]],
];

function broadcastRef(a: Float64Array, as: number[], b: Float64Array, bs: number[], f: (x: number, y: number) => number) {
  const n = Math.max(as.length, bs.length);
  const shape = Array.from({ length: n }, (_, i) => Math.max(as[as.length - n + i] ?? 1, bs[bs.length - n + i] ?? 1));
  const sa = strides(as), sb = strides(bs);
  const out = new Float64Array(numel(shape));
  forEachIndex(shape, (idx, flat) => {
    let ia = 0, ib = 0;
    for (let d = 0; d < n; d++) {
      const da = d - (n - as.length), db = d - (n - bs.length);
      if (da >= 0 && as[da] !== 1) ia += idx[d] * sa[da];
      if (db >= 0 && bs[db] !== 1) ib += idx[d] * sb[db];
    }
    out[flat] = f(a[ia], b[ib]);
  });
  return { shape, out };
}

for (const [name, op, ref] of binaryCases) {
  test(`${name} forward broadcasts like the float64 reference`, (t) => {
    for (const [as, bs] of broadcastPairs) {
      const positive = name === 'pow' || name === 'div';
      const a = randomArray(numel(as), positive ? 0.2 : -2, 2);
      const b = randomArray(numel(bs), positive ? 0.2 : -2, 2);
      const a32 = Float64Array.from(Float32Array.from(a));
      const b32 = Float64Array.from(Float32Array.from(b));
      const { shape, out } = broadcastRef(a32, as, b32, bs, ref);
      const res = op(t32(a, as), t32(b, bs));
      t.deepEqual([...res.shape], shape);
      assertClose(t, res.data(), out, { rtol: 4e-6, atol: 1e-6, what: `${name} ${JSON.stringify(as)} ${JSON.stringify(bs)}` });
    }
  });

  test(`${name} backward reduces to each input's shape and matches finite differences`, (t) => {
    for (const [as, bs] of [[[3, 4], [4]], [[2, 1, 3], [1, 4, 1]], [[5], [5]]] as [number[], number[]][]) {
      const a = t32(randomArray(numel(as), 0.5, 2), as).requiresGrad_();
      // Keep max/min operands apart so the finite difference never crosses a tie.
      const b = t32(randomArray(numel(bs), name === 'maximum' || name === 'minimum' ? 2.2 : 0.5, name === 'maximum' || name === 'minimum' ? 3 : 2), bs).requiresGrad_();
      const r = tl.gradcheck(op, [a, b], { eps: 1e-3, tolerance: 1e-2 });
      t.true(r.ok, `${name} ${JSON.stringify(as)} ${JSON.stringify(bs)}: worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
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
