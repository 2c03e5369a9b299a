// Reductions against a float64 reference over many shapes and axis sets, gradients
// against finite differences, and the errors they raise.
import test from 'ava';
import * as tl from '../src/index.js';
import { assertClose, forEachIndex, numel, randomArray, t32, withThreads } from './helpers/reference.js';

type Fold = (xs: number[]) => number;

/** Reduces float64 data over `axes` (normalised, sorted): every output's elements in row-major order. */
function refReduce(data: ArrayLike<number>, shape: number[], axes: number[], keepdims: boolean, fold: Fold) {
  const outShape = shape.flatMap((d, i) => (axes.includes(i) ? (keepdims ? [1] : []) : [d]));
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const groups: number[][] = Array.from({ length: numel(kept.map((i) => shape[i])) }, () => []);
  forEachIndex(shape, (idx, flat) => {
    let o = 0;
    for (const d of kept) o = o * shape[d] + idx[d];
    groups[o].push(data[flat]);
  });
  return { outShape, values: groups.map(fold) };
}

const refSum: Fold = (xs) => xs.reduce((a, b) => a + b, 0);
const refMean: Fold = (xs) => refSum(xs) / xs.length;
const refMax: Fold = (xs) => xs.reduce((a, b) => (b > a ? b : a), -Infinity);
const refMin: Fold = (xs) => xs.reduce((a, b) => (b < a ? b : a), Infinity);
const refArgmax: Fold = (xs) => xs.indexOf(refMax(xs));
const refArgmin: Fold = (xs) => xs.indexOf(refMin(xs));
const refVar = (correction: number): Fold => (xs) => {
  const m = refMean(xs);
  return xs.reduce((a, v) => a + (v - m) ** 2, 0) / (xs.length - correction);
};

function norm(axes: number | number[] | undefined, ndim: number): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  return list.map((a) => (a < 0 ? a + ndim : a)).sort((a, b) => a - b);
}

// Shapes with the awkward sizes 1, 3, 17, 129 and axis sets including negative ones.
const cases: [number[], (number | number[] | undefined)[]][] = [
  [[17], [undefined, 0, -1, []]],
  [[3, 129], [undefined, 0, 1, -1, [0, 1]]],
  [[129, 3], [0, -1]],
  [[1, 17, 3], [0, 1, 2, [0, 2], [1, -1]]],
  [[3, 17, 5, 2], [[0, 2], [1, 3], [-1, -3], [0, 1, 2], 2]],
  [[2, 1, 129, 1, 3], [[2, 4], [1, 3], [0, 2, 4]]],
  [[], [undefined]],
];

const ops: [string, (x: tl.Tensor, ax: tl.Axes, k: boolean) => tl.Tensor, Fold][] = [
  ['sum', tl.sum, refSum],
  ['mean', tl.mean, refMean],
  ['max', tl.max, refMax],
  ['min', tl.min, refMin],
  ['var', (x, ax, k) => tl.variance(x, ax, k), refVar(1)],
  ['var(correction 0)', (x, ax, k) => tl.variance(x, ax, k, 0), refVar(0)],
];

// Tolerance: float32 inputs, double accumulation, one float32 rounding at the end; var's
// unbiased division can amplify rounding on short reductions, hence its looser atol.
for (const [name, op, fold] of ops) {
  test(`${name} matches the float64 reference over many shapes and axis sets`, (t) => {
    for (const [shape, axesList] of cases) {
      const x = Float64Array.from(Float32Array.from(randomArray(numel(shape), -2, 2)));
      const xt = t32(x, shape);
      for (const axes of axesList) {
        const ax = norm(axes, shape.length);
        const count = numel(ax.map((a) => shape[a]));
        if (name.startsWith('var') && count <= (name === 'var' ? 1 : 0)) continue;
        for (const keepdims of [false, true]) {
          const ref = refReduce(x, shape, ax, keepdims, fold);
          const out = op(xt, axes as tl.Axes, keepdims);
          const what = `${name} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)} keepdims ${keepdims}`;
          t.deepEqual([...out.shape], ref.outShape, what);
          assertClose(t, out.data(), ref.values, { rtol: 1e-5, atol: 1e-5, what });
        }
      }
    }
  });
}

test('argmax and argmin return int32 indices along an axis or over the flattened tensor', (t) => {
  for (const [shape, axesList] of cases) {
    const x = Float64Array.from(Float32Array.from(randomArray(numel(shape), -2, 2)));
    const xt = t32(x, shape);
    for (const axis of [undefined, ...axesList.filter((a): a is number => typeof a === 'number')]) {
      for (const keepdims of [false, true]) {
        const ax = norm(axis, shape.length);
        for (const [op, fold] of [[tl.argmax, refArgmax], [tl.argmin, refArgmin]] as const) {
          const out = op(xt, axis, keepdims);
          const ref = refReduce(x, shape, ax, keepdims, fold);
          t.is(out.dtype, 'int32');
          t.deepEqual([...out.shape], ref.outShape);
          t.deepEqual([...out.data()], ref.values, `${JSON.stringify(shape)} axis ${axis}`);
        }
      }
    }
  }
});

test('ties go to the first occurrence, in values, indices and gradients', (t) => {
  const x = tl.tensor([[1, 3, 3, 0], [2, 2, 2, 2]]).requiresGrad_();
  t.deepEqual([...tl.argmax(x, 1).data()], [1, 0]);
  t.deepEqual([...tl.argmin(x, 1).data()], [3, 0]);
  tl.sum(tl.max(x, 1)).backward();
  t.deepEqual(x.grad!.toArray(), [[0, 1, 0, 0], [1, 0, 0, 0]]);
});

test('max and min propagate NaN', (t) => {
  const x = tl.tensor([1, NaN, 3]);
  t.true(Number.isNaN(tl.max(x).item()));
  t.true(Number.isNaN(tl.min(x).item()));
  t.is(tl.argmax(x).item(), 1);
});

test('sum of a million floats is accurate (double accumulation)', (t) => {
  const n = 1_000_000;
  const x = Float32Array.from(randomArray(n, 0, 1));
  let ref = 0;
  for (const v of x) ref += v;
  const xt = tl.tensor(x);
  // Tolerance: one float32 rounding of the exact sum (~6e-8 relative), with slack.
  assertClose(t, [tl.sum(xt).item()], [ref], { rtol: 2e-7, atol: 0, what: 'sum 1e6' });
  assertClose(t, [tl.mean(xt).item()], [ref / n], { rtol: 2e-7, atol: 0, what: 'mean 1e6' });
  // Column sums of a tall matrix take the "few outputs, long reduction" path.
  const cols = tl.sum(xt.reshape([n / 4, 4]), 0).data();
  const refCols = [0, 0, 0, 0];
  x.forEach((v, i) => (refCols[i % 4] += v));
  assertClose(t, cols, refCols, { rtol: 2e-7, atol: 0, what: 'column sums' });
  const refVarAll = refVar(1)(Array.from(x));
  assertClose(t, [tl.variance(xt).item()], [refVarAll], { rtol: 1e-6, atol: 0, what: 'var 1e6' });
  let best = 0;
  x.forEach((v, i) => (best = v > x[best] ? i : best));
  t.is(tl.argmax(xt).item(), best);
});

test('empty tensors: sum is 0, mean/max/min/var are errors naming the shape', (t) => {
  const e = tl.zeros([0, 3]);
  t.is(tl.sum(e).item(), 0);
  t.deepEqual([...tl.sum(e, 0).data()], [0, 0, 0]);
  t.deepEqual([...tl.sum(e, 1).shape], [0]);
  t.deepEqual([...tl.max(e, 1).shape], [0]);
  t.is(t.throws(() => tl.mean(e))!.message, 'mean: cannot average over zero elements (shape [0,3], axes [0,1])');
  t.is(t.throws(() => tl.max(e, 0))!.message, 'max: cannot reduce over zero elements (shape [0,3], axes [0])');
  t.is(t.throws(() => tl.argmin(e))!.message, 'argmin: cannot reduce over zero elements (shape [0,3], axes [0,1])');
  t.regex(t.throws(() => tl.variance(tl.zeros([1, 3]), 0))!.message, /var: needs more than 1 element\(s\) per output for correction 1, got 1/);
});

test('reducing over no axes ([]) copies; a scalar reduces to itself', (t) => {
  const x = tl.tensor([[1, 2], [3, 4]]);
  t.deepEqual(tl.sum(x, []).toArray(), [[1, 2], [3, 4]]);
  t.is(tl.sum(tl.tensor(5)).item(), 5);
  t.is(tl.max(tl.tensor(5), 0).item(), 5);
});

const gradCases: [number[], tl.Axes][] = [
  [[17], undefined],
  [[3, 5], 0],
  [[3, 5], -1],
  [[2, 3, 4], [0, 2]],
  [[2, 3, 4], [1]],
  [[4, 1, 3], [0, 1]],
];

// Distinct values spaced well beyond the finite-difference step, so max/min never switch.
function spaced(n: number): Float64Array {
  const a = Float64Array.from({ length: n }, (_, i) => -1 + (2 * i) / Math.max(1, n - 1));
  const g = new tl.Generator(7);
  return g.shuffle(a);
}

for (const [name, op] of ops) {
  test(`${name} backward matches finite differences`, (t) => {
    for (const [shape, axes] of gradCases) {
      for (const keepdims of [false, true]) {
        const x = t32(spaced(numel(shape)), shape).requiresGrad_();
        const r = tl.gradcheck((a) => op(a, axes, keepdims), [x], { eps: 1e-3, tolerance: 1e-2 });
        t.true(r.ok, `${name} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)}: worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
      }
    }
  });
}

test('argmax/argmin are not recorded for autograd', (t) => {
  const x = tl.randn([3, 4]).requiresGrad_();
  const i = tl.argmax(x, 1);
  t.false(i.requiresGrad);
  t.is(i.gradFn, null);
});

test('tensor methods forward to the reductions', (t) => {
  const x = tl.tensor([[1, 2], [3, 4]]);
  t.deepEqual(x.sum(0).toArray(), [4, 6]);
  t.deepEqual(x.mean(1, true).toArray(), [[1.5], [3.5]]);
  t.is(x.max().item(), 4);
  t.is(x.min().item(), 1);
  t.deepEqual(x.argmax(0).toArray(), [1, 1]);
  t.deepEqual(x.var(1, false, 0).toArray(), [0.25, 0.25]);
});

test('reductions name the problem: bad axis, repeated axis, dtype, keepdims', (t) => {
  const x = tl.zeros([2, 3]);
  t.is(t.throws(() => tl.sum(x, 2))!.message, 'sum: axis 2 is out of range for a tensor with 2 dims');
  t.is(t.throws(() => tl.mean(x, [-3]))!.message, 'mean: axis -3 is out of range for a tensor with 2 dims');
  t.is(t.throws(() => tl.max(x, [1, -1]))!.message, 'max: axis -1 is repeated');
  t.is(t.throws(() => tl.sum(x, 0.5))!.message, 'sum: axis must be an integer, got 0.5');
  t.is(t.throws(() => tl.argmax(x, 5))!.message, 'argmax: axis 5 is out of range for a tensor with 2 dims');
  t.regex(t.throws(() => tl.sum(tl.zeros([2], { dtype: 'int32' })))!.message, /^sum: input must be float32, got int32/);
  t.regex(t.throws(() => tl.variance(x, 0, false, -1))!.message, /^var: correction must be a non-negative number/);
});

test('kernels reject malformed arguments from JS', (t) => {
  const native = (tl as unknown as { native?: unknown }).native;
  t.is(native, undefined); // the kernel table is not public; go through the module
  return import('../src/native.js').then(({ native: k }) => {
    const out = new Float32Array(2);
    t.regex(t.throws(() => k.sum_forward(out, new Float32Array(5), [2, 3], [1], 1))!.message, /sum_forward: argument 1 holds 5 elements, the kernel needs 6/);
    t.regex(t.throws(() => k.sum_forward(out, new Float32Array(6), [2, 3], [1, 1], 1))!.message, /sum_forward: axis 1 is repeated/);
    t.regex(t.throws(() => k.sum_forward(out, new Float32Array(6), [2, 3], [2], 1))!.message, /sum_forward: axis 2 is out of range/);
    const idx = Int32Array.from([7, 0]);
    t.regex(t.throws(() => k.extreme_backward(new Float32Array(6), out, idx, [2, 3], [1]))!.message, /extreme_backward: index 7 at position 0 is out of range/);
  });
});

test('results do not depend on the thread count (parallel splits are fixed)', (t) => {
  const x = tl.randn([7, 129, 257]);
  const run = () => [
    tl.sum(x).data(),
    tl.sum(x, [0, 2]).data(),
    tl.mean(x, 1).data(),
    tl.max(x, [0, 1]).data(),
    tl.argmin(x).data(),
    tl.variance(x, [0, 2]).data(),
    tl.sum(tl.reshape(x, [-1])).data(),
  ];
  const one = withThreads(1, run);
  const four = withThreads(4, run);
  one.forEach((a, i) => t.deepEqual(four[i], a, `result ${i}`));
});
