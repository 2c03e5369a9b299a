// Fused losses against float64 references, against the unfused composition, and their
// gradients against finite differences; reductions, weights, ignore/mask, errors.
import test from 'ava';
import * as tl from '../src/index.js';
import { AWKWARD, assertClose, randomArray, rng, t32, withThreads } from './helpers/reference.js';

type Red = 'none' | 'mean' | 'sum';
const f32 = (a: ArrayLike<number>) => Float64Array.from(Float32Array.from(a));
const ints = (a: number[]) => tl.tensor(Int32Array.from(a), [a.length]);

function reduce(losses: number[], weights: number[], r: Red): number[] {
  if (r === 'none') return losses;
  const s = losses.reduce((a, b) => a + b, 0);
  const w = weights.reduce((a, b) => a + b, 0);
  return [r === 'sum' ? s : w === 0 ? 0 : s / w];
}

interface CeOpts { ignoreIndex?: number; sw?: Float64Array; cw?: Float64Array; eps?: number; reduction: Red }

function refCrossEntropy(z: Float64Array, labels: number[], n: number, c: number, o: CeOpts): number[] {
  const losses: number[] = [];
  const weights: number[] = [];
  const eps = o.eps ?? 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y === (o.ignoreIndex ?? -100)) {
      losses.push(0);
      weights.push(0);
      continue;
    }
    let m = -Infinity;
    for (let k = 0; k < c; k++) m = Math.max(m, z[i * c + k]);
    let s = 0;
    for (let k = 0; k < c; k++) s += Math.exp(z[i * c + k] - m);
    const lse = m + Math.log(s);
    const cw = (k: number) => (o.cw ? o.cw[k] : 1);
    const sw = o.sw ? o.sw[i] : 1;
    let smooth = 0;
    for (let k = 0; k < c; k++) smooth += cw(k) * (lse - z[i * c + k]);
    losses.push(sw * ((1 - eps) * cw(y) * (lse - z[i * c + y]) + (eps / c) * smooth));
    weights.push(sw * cw(y));
  }
  return reduce(losses, weights, o.reduction);
}

function randomLabels(n: number, c: number, ignoreEvery = 0): number[] {
  return Array.from({ length: n }, (_, i) => (ignoreEvery && i % ignoreEvery === 1 ? -100 : Math.floor(rng.uniform() * c)));
}

// float32 logsumexp per row plus float64 accumulation over rows.
const CE_TOL = { rtol: 2e-5, atol: 2e-5 };

test('crossEntropy matches the float64 reference for every option', (t) => {
  for (const n of [...AWKWARD, 0]) {
    for (const c of [1, 3, 17, 129]) {
      const z = randomArray(n * c, -5, 5);
      const labels = randomLabels(n, c, 4);
      const sw = f32(randomArray(n, 0, 2));
      const cw = f32(randomArray(c, 0.1, 2));
      const variants: CeOpts[] = [
        { reduction: 'none' }, { reduction: 'mean' }, { reduction: 'sum' },
        { reduction: 'mean', sw }, { reduction: 'mean', cw }, { reduction: 'none', cw, sw, eps: 0.1 },
        { reduction: 'mean', eps: 0.2 }, { reduction: 'mean', cw, eps: 0.3, sw }, { reduction: 'sum', sw, cw },
      ];
      for (const o of variants) {
        const got = tl.crossEntropy(t32(z, [n, c]), ints(labels), {
          reduction: o.reduction, weights: o.sw ? t32(o.sw, [n]) : null, classWeights: o.cw ? t32(o.cw, [c]) : null, labelSmoothing: o.eps ?? 0,
        });
        t.deepEqual([...got.shape], o.reduction === 'none' ? [n] : []);
        assertClose(t, got.data(), refCrossEntropy(f32(z), labels, n, c, o), { ...CE_TOL, what: `CE n=${n} c=${c} ${JSON.stringify({ ...o, sw: !!o.sw, cw: !!o.cw })}` });
      }
    }
  }
});

test('crossEntropy equals the unfused -logSoftmax gathered at the labels, values and gradients', (t) => {
  // Same math in two ways; float32 both, so a few ulp of the row's logsumexp apart.
  for (const [n, c] of [[17, 129], [129, 3], [64, 1000]]) {
    const z = randomArray(n * c, -8, 8);
    const labels = randomLabels(n, c);
    const onehot = new Float32Array(n * c);
    labels.forEach((y, i) => (onehot[i * c + y] = 1));
    const a = t32(z, [n, c]).requiresGrad_();
    const fused = tl.crossEntropy(a, ints(labels), { reduction: 'none' });
    const b = t32(z, [n, c]).requiresGrad_();
    const unfusedRows = tl.mul(tl.logSoftmax(b), tl.tensor(onehot, [n, c])).neg();
    const unfused = new Float64Array(n);
    const u = unfusedRows.data();
    for (let i = 0; i < n * c; i++) unfused[Math.floor(i / c)] += u[i];
    assertClose(t, fused.data(), unfused, { rtol: 1e-5, atol: 1e-5, what: `fused vs unfused loss [${n},${c}]` });
    const g = randomArray(n, -1, 1);
    fused.backward(t32(g, [n]));
    const seed = new Float32Array(n * c);
    for (let i = 0; i < n * c; i++) seed[i] = Math.fround(g[Math.floor(i / c)]);
    unfusedRows.backward(tl.tensor(seed, [n, c]));
    assertClose(t, a.grad!.data(), b.grad!.data(), { rtol: 1e-4, atol: 1e-6, what: `fused vs unfused gradient [${n},${c}]` });
  }
});

test('crossEntropy gradients match finite differences for every option', (t) => {
  const n = 5, c = 4;
  const labels = [0, 3, -100, 2, 1];
  const sw = t32([0.5, 1.5, 1, 2, 0.25], [n]);
  const cw = t32([1, 0.5, 2, 1.5], [c]);
  const variants: [string, tl.CrossEntropyOptions][] = [
    ['mean', {}], ['sum', { reduction: 'sum' }], ['none', { reduction: 'none' }],
    ['sample weights', { weights: sw }], ['class weights', { classWeights: cw }],
    ['smoothing', { labelSmoothing: 0.2 }], ['all', { weights: sw, classWeights: cw, labelSmoothing: 0.1, reduction: 'mean' }],
    ['custom ignore', { ignoreIndex: 3 }],
  ];
  for (const [name, o] of variants) {
    const lab = o.ignoreIndex === 3 ? labels.map((y) => (y === -100 ? 0 : y)) : labels;
    const x = t32(randomArray(n * c, -2, 2), [n, c]).requiresGrad_();
    const r = tl.gradcheck((a) => tl.crossEntropy(a, ints(lab), o), [x], { eps: 1e-3, tolerance: 1e-2 });
    t.true(r.ok, `${name}: worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
  }
});

test('crossEntropy is finite for logits of 1e4 and 0 (not NaN) when every row is ignored', (t) => {
  const x = tl.tensor([[1e4, 0, -1e4], [-1e4, 1e4, 0]]).requiresGrad_();
  const l = tl.crossEntropy(x, ints([2, 1]), { reduction: 'none', labelSmoothing: 0.1 });
  assertClose(t, l.data(), [0.9 * 2e4 + (0.1 / 3) * 3e4, (0.1 / 3) * 3e4], { rtol: 1e-6, what: 'large logits' });
  const m = tl.crossEntropy(x, ints([2, 1]));
  m.backward();
  t.true(x.grad!.data().every(Number.isFinite));
  const y = tl.tensor([[1, 2], [3, 4]]).requiresGrad_();
  const none = tl.crossEntropy(y, ints([-100, -100]));
  t.is(none.item(), 0);
  none.backward();
  t.deepEqual([...y.grad!.data()], [0, 0, 0, 0]);
  t.is(tl.crossEntropy(tl.zeros([0, 3]), ints([])).item(), 0);
});

test('crossEntropy errors name the row and the label', (t) => {
  const x = tl.zeros([3, 4]);
  t.is(t.throws(() => tl.crossEntropy(x, ints([0, 4, 1])))?.message,
    'crossEntropy: label 4 at row 1 is out of range [0, 4) and is not the ignore index -100');
  t.is(t.throws(() => tl.crossEntropy(x, ints([0, 1, -1])))?.message,
    'crossEntropy: label -1 at row 2 is out of range [0, 4) and is not the ignore index -100');
  t.is(t.throws(() => tl.crossEntropy(x, ints([0, 1])))?.message,
    'crossEntropy: labels must have shape [3] to match logits [3,4], got [2]');
  t.regex(t.throws(() => tl.crossEntropy(x, tl.tensor([0, 1, 2])))!.message, /^crossEntropy: labels must be int32, got float32/);
  t.is(t.throws(() => tl.crossEntropy(tl.zeros([3]), ints([0, 1, 2])))?.message, 'crossEntropy: logits must be 2-D [N, C], got [3]');
  t.is(t.throws(() => tl.crossEntropy(x, ints([0, 1, 2]), { labelSmoothing: 1 }))?.message, 'crossEntropy: labelSmoothing must be in [0, 1), got 1');
  t.is(t.throws(() => tl.crossEntropy(x, ints([0, 1, 2]), { reduction: 'avg' as 'mean' }))?.message, `crossEntropy: reduction must be 'none', 'mean' or 'sum', got "avg"`);
  t.is(t.throws(() => tl.crossEntropy(x, ints([0, 1, 2]), { classWeights: tl.ones([3]) }))?.message, 'crossEntropy: classWeights must have shape [4], got [3]');
  t.is(t.throws(() => tl.crossEntropy(x, ints([0, 1, 2]), { weights: tl.ones([4]) }))?.message, 'crossEntropy: weights must have shape [3], got [4]');
  // A label changed between forward and backward is caught by the backward kernel too.
  const a = tl.zeros([2, 3]).requiresGrad_();
  const lab = ints([0, 1]);
  const l = tl.crossEntropy(a, lab);
  (lab.buf as Int32Array)[1] = 7;
  t.is(t.throws(() => l.backward())?.message, 'crossEntropy: label 7 at row 1 is out of range [0, 3) and is not the ignore index -100');
});

interface BceOpts { pw?: number | Float64Array; sw?: Float64Array; mask?: number[]; reduction: Red }

function refBce(x: Float64Array, tg: Float64Array, rows: number, o: BceOpts): number[] {
  const cols = rows ? x.length / rows : 0;
  const losses: number[] = [];
  const weights: number[] = [];
  for (let e = 0; e < x.length; e++) {
    const r = Math.floor(e / cols), col = e % cols;
    const w = (o.sw ? o.sw[r] : 1) * (o.mask && o.mask[e] === 0 ? 0 : 1);
    const pw = typeof o.pw === 'number' ? o.pw : o.pw ? o.pw[col] : 1;
    const sp = Math.log1p(Math.exp(-Math.abs(x[e]))) + Math.max(-x[e], 0);
    losses.push(w * ((1 - tg[e]) * x[e] + (1 + (pw - 1) * tg[e]) * sp));
    weights.push(w);
  }
  return reduce(losses, weights, o.reduction);
}

test('bceWithLogits matches the float64 reference for every option', (t) => {
  for (const rows of [...AWKWARD, 0]) {
    for (const cols of [1, 3, 17]) {
      const n = rows * cols;
      const x = f32(randomArray(n, -8, 8));
      const tg = f32(randomArray(n, 0, 1));
      const sw = f32(randomArray(rows, 0, 2));
      const pwt = f32(randomArray(cols, 0.5, 3));
      const mask = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1));
      const variants: BceOpts[] = [
        { reduction: 'none' }, { reduction: 'mean' }, { reduction: 'sum' }, { reduction: 'mean', pw: 2.5 },
        { reduction: 'mean', pw: pwt }, { reduction: 'mean', sw }, { reduction: 'mean', mask }, { reduction: 'none', pw: pwt, sw, mask },
        { reduction: 'sum', sw, mask },
      ];
      for (const o of variants) {
        const got = tl.bceWithLogits(t32(x, [rows, cols]), t32(tg, [rows, cols]), {
          reduction: o.reduction, posWeight: o.pw instanceof Float64Array ? t32(o.pw, [cols]) : o.pw, weights: o.sw ? t32(o.sw, [rows]) : null,
          mask: o.mask ? t32(o.mask, [rows, cols]) : null,
        });
        assertClose(t, got.data(), refBce(x, tg, rows, o), { rtol: 2e-5, atol: 1e-5, what: `BCE [${rows},${cols}] ${JSON.stringify({ ...o, sw: !!o.sw, mask: !!o.mask })}` });
      }
    }
  }
});

test('bceWithLogits is stable at large logits and 0 when everything is masked', (t) => {
  const x = tl.tensor([100, -100, 1e4, -1e4]);
  const got = tl.bceWithLogits(x, tl.tensor([1, 0, 0, 0]), { reduction: 'none' }).data();
  assertClose(t, got, [0, 0, 1e4, 0], { rtol: 1e-6, atol: 1e-30, what: 'large logits' });
  const y = tl.tensor([1, 2]).requiresGrad_();
  const l = tl.bceWithLogits(y, tl.tensor([1, 0]), { mask: tl.zeros([2]) });
  t.is(l.item(), 0);
  l.backward();
  t.deepEqual([...y.grad!.data()], [0, 0]);
});

test('bceWithLogits gradients (logits and targets) match finite differences', (t) => {
  const rows = 4, cols = 3;
  const sw = t32([0.5, 1, 2, 1.5], [rows]);
  const mask = t32([1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0], [rows, cols]);
  const pwt = t32([0.5, 2, 3], [cols]);
  const variants: [string, tl.BceWithLogitsOptions][] = [
    ['mean', {}], ['sum', { reduction: 'sum' }], ['none', { reduction: 'none' }], ['scalar posWeight', { posWeight: 3 }],
    ['tensor posWeight', { posWeight: pwt }], ['sample weights', { weights: sw }], ['mask', { mask }],
    ['all', { posWeight: pwt, weights: sw, mask }],
  ];
  for (const [name, o] of variants) {
    const x = t32(randomArray(rows * cols, -3, 3), [rows, cols]).requiresGrad_();
    const tg = t32(randomArray(rows * cols, 0, 1), [rows, cols]).requiresGrad_();
    const r = tl.gradcheck((a, b) => tl.bceWithLogits(a, b, o), [x, tg], { eps: 1e-3, tolerance: 1e-2 });
    t.true(r.ok, `${name}: worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
  }
});

test('bceWithLogits equals the unfused sigmoid + log composition', (t) => {
  const n = 129;
  const x = f32(randomArray(n, -4, 4));
  const tg = f32(randomArray(n, 0, 1));
  const fused = tl.bceWithLogits(t32(x, [n]), t32(tg, [n]), { reduction: 'none' }).data();
  const p = tl.sigmoid(t32(x, [n]));
  const tt = t32(tg, [n]);
  const unfused = tl.add(tl.mul(tt, tl.log(p)), tl.mul(tl.rsub(tt, 1), tl.log(tl.rsub(p, 1)))).neg().data();
  // The unfused form loses accuracy in log(1 - sigmoid(x)) for large x; |x| <= 4 keeps it to ~1e-6.
  assertClose(t, fused, unfused, { rtol: 1e-5, atol: 1e-5, what: 'fused vs unfused BCE' });
});

test('bceWithLogits errors name the problem', (t) => {
  const x = tl.zeros([2, 3]);
  t.is(t.throws(() => tl.bceWithLogits(x, tl.zeros([3, 2])))?.message, 'bceWithLogits: logits [2,3] and targets [3,2] must have the same shape');
  t.is(t.throws(() => tl.bceWithLogits(x, tl.zeros([2, 3]), { posWeight: tl.ones([2]) }))?.message,
    'bceWithLogits: posWeight [2] must have one entry per column (3) of logits [2,3]');
  t.is(t.throws(() => tl.bceWithLogits(x, tl.zeros([2, 3]), { mask: tl.ones([3]) }))?.message, 'bceWithLogits: mask must have shape [2,3], got [3]');
  t.is(t.throws(() => tl.bceWithLogits(x, tl.zeros([2, 3]), { posWeight: NaN }))?.message, 'bceWithLogits: posWeight must be a finite number, got NaN');
});

function refMse(p: Float64Array, tg: Float64Array, mask: number[] | null, r: Red): number[] {
  const losses = Array.from(p, (v, i) => (mask && mask[i] === 0 ? 0 : (v - tg[i]) ** 2));
  return reduce(losses, Array.from(p, (_, i) => (mask && mask[i] === 0 ? 0 : 1)), r);
}

test('mse matches the float64 reference, gradients match finite differences', (t) => {
  for (const n of [...AWKWARD, 40000, 0]) {
    const p = f32(randomArray(n, -3, 3));
    const tg = f32(randomArray(n, -3, 3));
    const mask = Array.from({ length: n }, (_, i) => (i % 4 === 2 ? 0 : 1));
    for (const r of ['none', 'mean', 'sum'] as Red[])
      for (const m of [null, mask]) {
        const got = tl.mse(t32(p, [n]), t32(tg, [n]), { reduction: r, mask: m ? t32(m, [n]) : null });
        assertClose(t, got.data(), refMse(p, tg, m, r), { rtol: 1e-5, atol: 1e-6, what: `MSE n=${n} ${r} mask=${!!m}` });
      }
  }
  for (const o of [{}, { reduction: 'sum' as const }, { reduction: 'none' as const }, { mask: t32([1, 0, 1, 1, 0, 1], [2, 3]) }]) {
    const p = t32(randomArray(6, -1, 1), [2, 3]).requiresGrad_();
    const tg = t32(randomArray(6, -1, 1), [2, 3]).requiresGrad_();
    const r = tl.gradcheck((a, b) => tl.mse(a, b, o), [p, tg], { eps: 1e-3, tolerance: 1e-2 });
    t.true(r.ok, `${JSON.stringify(o)}: worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
  }
  t.is(tl.mse(tl.ones([3]), tl.zeros([3]), { mask: tl.zeros([3]) }).item(), 0);
  t.is(t.throws(() => tl.mse(tl.zeros([3]), tl.zeros([4])))?.message, 'mse: pred [3] and target [4] must have the same shape');
});

test('loss reductions do not depend on the thread count', (t) => {
  const n = 4096, c = 1000;
  const z = t32(randomArray(n * c, -5, 5), [n, c]);
  const labels = ints(randomLabels(n, c));
  const b = t32(randomArray(300000, -5, 5), [3000, 100]);
  const run = () => [tl.crossEntropy(z, labels).item(), tl.bceWithLogits(b, b, { reduction: 'sum' }).item(), tl.mse(b, tl.neg(b)).item()];
  t.deepEqual(withThreads(1, run), withThreads(2, run));
});
