// softmax / logSoftmax against a float64 reference along every axis, on every SIMD path,
// and their gradients against finite differences.
import test from 'ava';
import * as tl from '../src/index.js';
import { AWKWARD, assertClose, numel, randomArray, t32, withThreads } from './helpers/reference.js';

function refSoftmax(x: ArrayLike<number>, shape: number[], axis: number, log: boolean): Float64Array {
  const outer = numel(shape.slice(0, axis));
  const n = shape[axis];
  const inner = numel(shape.slice(axis + 1));
  const out = new Float64Array(x.length);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * n + k) * inner + i;
      let m = -Infinity;
      for (let k = 0; k < n; k++) m = Math.max(m, x[at(k)]);
      let s = 0;
      for (let k = 0; k < n; k++) s += Math.exp(x[at(k)] - m);
      for (let k = 0; k < n; k++) out[at(k)] = log ? x[at(k)] - m - Math.log(s) : Math.exp(x[at(k)] - m) / s;
    }
  return out;
}

const cases: [number[], number][] = [
  ...AWKWARD.flatMap((r) => AWKWARD.map((c) => [[r, c], 1] as [number[], number])),
  [[17, 129], 0],
  [[3, 17, 5], 1],
  [[3, 17, 5], 0],
  [[2, 129, 3], 1],
  [[2, 3, 129], 2],
  [[4, 1000], 1], // a wide row: all the vector lanes plus a tail
  [[40, 1000], 1], // several threads' worth
  [[300, 70, 3], 1], // strided, several threads' worth and column blocks
  [[1, 3, 200], 1], // inner wider than one column block
];

// float32 kernels with an exp accurate to ~1 ulp; sums of up to 1000 terms.
const TOL = { softmax: { rtol: 3e-5, atol: 1e-8 }, logSoftmax: { rtol: 1e-5, atol: 2e-5 } };

for (const isa of ['portable', 'best'] as const) {
  test.serial(`softmax and logSoftmax match the float64 reference (${isa} path)`, (t) => {
    const prev = tl.getIsa().active;
    tl.setIsa(isa === 'best' ? tl.getIsa().best : 'portable');
    try {
      for (const [shape, axis] of cases) {
        const x = randomArray(numel(shape), -6, 6);
        const x32 = Float64Array.from(Float32Array.from(x));
        const xt = t32(x, shape);
        for (const log of [false, true]) {
          const name = log ? 'logSoftmax' : 'softmax';
          const got = (log ? tl.logSoftmax : tl.softmax)(xt, axis).data();
          assertClose(t, got, refSoftmax(x32, shape, axis, log), { ...TOL[name], what: `${name} ${JSON.stringify(shape)} axis ${axis} (${tl.getIsa().active})` });
        }
      }
    } finally {
      tl.setIsa(prev as tl.Isa);
    }
  });
}

test('softmax is stable for logits of 1e4 and handles -Infinity', (t) => {
  const x = tl.tensor([[1e4, 0, -1e4], [1e4, 1e4, 1e4], [-1e4, -1e4 + 1, -1e4], [0, -Infinity, 2]]);
  const s = tl.softmax(x).data();
  const l = tl.logSoftmax(x).data();
  t.true(s.every(Number.isFinite) && l.slice(0, 9).every(Number.isFinite), `softmax ${s} logSoftmax ${l}`);
  const e = 1 / (1 + 2 * Math.exp(-1));
  assertClose(t, s, [1, 0, 0, 1 / 3, 1 / 3, 1 / 3, e * Math.exp(-1), e, e * Math.exp(-1), 1 / (1 + Math.exp(2)), 0, 1 / (1 + Math.exp(-2))], { rtol: 1e-6, atol: 1e-7, what: 'softmax' });
  assertClose(t, l.slice(0, 6), [0, -1e4, -2e4, -Math.log(3), -Math.log(3), -Math.log(3)], { rtol: 1e-6, atol: 1e-6, what: 'logSoftmax' });
  t.is(l[10], -Infinity);
});

test('softmax results do not depend on the thread count', (t) => {
  const x = t32(randomArray(300 * 257, -3, 3), [300, 257]);
  const xs = t32(randomArray(64 * 50 * 33, -3, 3), [64, 50, 33]);
  const run = () => [tl.softmax(x).data(), tl.logSoftmax(xs, 1).data()];
  t.deepEqual(withThreads(1, run), withThreads(2, run));
});

for (const log of [false, true]) {
  const name = log ? 'logSoftmax' : 'softmax';
  const op = log ? tl.logSoftmax : tl.softmax;
  test(`${name} backward matches finite differences along each axis`, (t) => {
    for (const [shape, axis] of [[[3, 5], -1], [[2, 3, 4], 1], [[2, 3, 4], 0], [[1], 0], [[4, 17], 1]] as [number[], number][]) {
      const x = t32(randomArray(numel(shape), -2, 2), shape).requiresGrad_();
      const r = tl.gradcheck((a) => op(a, axis), [x], { eps: 1e-3, tolerance: 1e-2 });
      t.true(r.ok, `${name} ${JSON.stringify(shape)} axis ${axis}: worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
    }
  });

  test(`${name} backward accumulates the exact formula on wide rows`, (t) => {
    // gx = y (g - sum(g y)) for softmax, g - softmax * sum(g) for logSoftmax, float64.
    for (const [rows, n] of [[3, 1000], [129, 17]]) {
      const x = t32(randomArray(rows * n, -4, 4), [rows, n]).requiresGrad_();
      const g = randomArray(rows * n, -1, 1);
      const y = op(x);
      y.backward(t32(g, [rows, n]));
      const yd = y.data();
      const want = new Float64Array(rows * n);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += log ? Math.fround(g[r * n + k]) : Math.fround(g[r * n + k]) * yd[r * n + k];
        for (let k = 0; k < n; k++) {
          const gi = Math.fround(g[r * n + k]);
          want[r * n + k] = log ? gi - Math.exp(yd[r * n + k]) * s : yd[r * n + k] * (gi - s);
        }
      }
      assertClose(t, x.grad!.data(), want, { rtol: 1e-4, atol: 1e-6, what: `${name} backward [${rows},${n}]` });
    }
  });
}

test('softmax errors name the op, axis and dtype', (t) => {
  t.is(t.throws(() => tl.softmax(tl.zeros([2, 3]), 2))?.message, 'softmax: axis 2 is out of range for a tensor with 2 dims');
  t.is(t.throws(() => tl.logSoftmax(tl.zeros([2, 3]), -3))?.message, 'logSoftmax: axis -3 is out of range for a tensor with 2 dims');
  t.regex(t.throws(() => tl.softmax(tl.tensor([1, 2], null, { dtype: 'int32' })))!.message, /^softmax: input must be float32, got int32/);
  const d = tl.zeros([3]);
  d.dispose();
  t.regex(t.throws(() => tl.softmax(d))!.message, /^softmax: input \[3\] was already disposed/);
  t.regex(t.throws(() => tl.softmax(tl.zeros([3]), 0.5))!.message, /^softmax: axis must be an integer/);
});

test('softmax of an empty tensor is empty', (t) => {
  t.deepEqual([...tl.softmax(tl.zeros([0, 4])).shape], [0, 4]);
  t.deepEqual([...tl.softmax(tl.zeros([3, 0])).shape], [3, 0]);
});

test.serial('the vectorised exp inside softmax is accurate to a few ulp on every path', (t) => {
  // Row [0, v...]: out[j] / out[0] = exp(v_j) up to the exp's error and two roundings.
  const prev = tl.getIsa().active;
  try {
    for (const isa of new Set(['portable', tl.getIsa().best] as tl.Isa[])) {
      tl.setIsa(isa);
      const v = Float32Array.from(randomArray(4095, -80, 0));
      const row = tl.tensor(Float32Array.from([0, ...v]), [1, 4096]);
      const out = tl.softmax(row).data();
      let worst = 0;
      for (let j = 0; j < v.length; j++) worst = Math.max(worst, Math.abs(out[j + 1] / out[0] / Math.exp(v[j]) - 1));
      t.log(`${isa}: worst ${(worst / 2 ** -23).toFixed(2)} ulp`);
      t.true(worst < 4 * 2 ** -23, `${isa}: worst relative error ${worst} (${(worst / 2 ** -23).toFixed(2)} ulp)`);
    }
  } finally {
    tl.setIsa(prev as tl.Isa);
  }
});

test('a NaN logit makes its own slice NaN and leaves the others alone', (t) => {
  const s = tl.softmax(tl.tensor([[1, NaN, 2], [1, 2, 3]])).data();
  t.true([0, 1, 2].every((i) => Number.isNaN(s[i])));
  t.true([3, 4, 5].every((i) => Number.isFinite(s[i])));
});
