// Layers: forward values against float64 references where the math is the layer's own
// (norms, linear), and every layer's gradient (input and parameters) by gradcheck.
import test from 'ava';
import * as tl from '../src/index.js';
import { nn } from '../src/index.js';
import { assertClose, randomArray, rng, t32 } from './helpers/reference.js';
import { moduleGradcheck } from './helpers/modules.js';

// Finite differences of float32 forwards: eps 1e-3 and 1e-2 relative error, as the
// elementwise tests use; normalisation layers divide by small stds and get eps 1e-2.
const GC = { eps: 1e-3, tolerance: 1e-2 };

function input(shape: number[], lo = -1, hi = 1): tl.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return t32(randomArray(n, lo, hi), shape).requiresGrad_();
}

function check(t: import('ava').ExecutionContext, m: nn.Module, inputs: tl.Tensor[], opts: Parameters<typeof moduleGradcheck>[2] = {}) {
  const r = moduleGradcheck(m, inputs, { ...GC, ...opts });
  t.true(r.ok, `${m.typeName}: worst error ${r.maxError} at ${JSON.stringify(r.worst)} (${r.checked} checked)`);
}

test('Linear computes x W^T + b and passes gradcheck (with and without bias)', (t) => {
  tl.manualSeed(1);
  const lin = new nn.Linear(5, 3);
  const x = input([4, 5]);
  const y = lin.forward(x).data();
  const w = lin.weight.data();
  const b = lin.bias!.data();
  const xd = x.data();
  const ref = new Float64Array(12);
  for (let i = 0; i < 4; i++) for (let o = 0; o < 3; o++) {
    let s = b[o];
    for (let k = 0; k < 5; k++) s += xd[i * 5 + k] * w[o * 5 + k];
    ref[i * 3 + o] = s;
  }
  assertClose(t, y, ref, { rtol: 1e-5, atol: 1e-6, what: 'linear' });
  check(t, lin, [x]);
  check(t, new nn.Linear(3, 2, { bias: false }), [input([2, 3])]);
  // Extra leading dims are batch dims.
  t.deepEqual(lin.forward(input([2, 3, 5])).shape, [2, 3, 3]);
});

test('Conv2d passes gradcheck with stride, padding, dilation and groups', (t) => {
  tl.manualSeed(2);
  check(t, new nn.Conv2d(2, 3, 3, { padding: 1 }), [input([2, 2, 5, 5])]);
  check(t, new nn.Conv2d(4, 2, [2, 3], { stride: 2, groups: 2, bias: false }), [input([1, 4, 5, 6])]);
  check(t, new nn.Conv2d(1, 2, 3, { dilation: 2 }), [input([1, 1, 6, 6])]);
  t.deepEqual(new nn.Conv2d(3, 8, 5, { padding: 2 }).forward(input([2, 3, 28, 28])).shape, [2, 8, 28, 28]);
});

test('pooling layers pass gradcheck and default the stride to the kernel', (t) => {
  const mp = new nn.MaxPool2d(2);
  t.deepEqual(mp.stride, [2, 2]);
  check(t, mp, [input([2, 2, 4, 5])]);
  check(t, new nn.AvgPool2d(3, { stride: 2, padding: 1 }), [input([1, 2, 5, 5])]);
  t.deepEqual(mp.forward(input([1, 1, 28, 28])).shape, [1, 1, 14, 14]);
});

test('Flatten, Identity and the activations pass gradcheck', (t) => {
  const x = () => t32(randomArray(24, -2, 2).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v)), [2, 3, 4]).requiresGrad_();
  for (const m of [new nn.ReLU(), new nn.LeakyReLU(0.2), new nn.GELU(), new nn.Sigmoid(), new nn.Tanh(), new nn.Softmax(1), new nn.Identity(), new nn.Flatten()])
    check(t, m, [x()]);
  t.deepEqual(new nn.Flatten().forward(x()).shape, [2, 12]);
  t.deepEqual(new nn.Flatten(0).forward(x()).shape, [24]);
});

test('Embedding looks up rows and passes gradcheck on the table', (t) => {
  tl.manualSeed(3);
  const e = new nn.Embedding(7, 3);
  const idx = tl.tensor(Int32Array.from([0, 6, 2, 2, 5, 1]), [2, 3]);
  const y = e.forward(idx);
  t.deepEqual(y.shape, [2, 3, 3]);
  const w = e.weight.data();
  assertClose(t, y.data().subarray(3, 6), w.subarray(18, 21), { rtol: 0, atol: 0, what: 'row 6' });
  check(t, e, [idx]);
});

test('EmbeddingBag sums/means bags and passes gradcheck, per-index weights included', (t) => {
  tl.manualSeed(4);
  const idx = tl.tensor(Int32Array.from([1, 4, 4, 0, 2]), [5]);
  const offsets = tl.tensor(Int32Array.from([0, 2, 2]), [3]); // bags {1,4}, {}, {4,0,2}
  for (const mode of ['sum', 'mean'] as const) {
    const bag = new nn.EmbeddingBag(5, 2, { mode });
    const y = bag.forward(idx, offsets).data();
    const w = bag.weight.data();
    const row = (r: number, c: number) => w[r * 2 + c];
    const k = mode === 'mean' ? [1 / 2, 1 / 3] : [1, 1];
    const ref = [(row(1, 0) + row(4, 0)) * k[0], (row(1, 1) + row(4, 1)) * k[0], 0, 0,
      (row(4, 0) + row(0, 0) + row(2, 0)) * k[1], (row(4, 1) + row(0, 1) + row(2, 1)) * k[1]];
    assertClose(t, y, ref, { rtol: 1e-6, atol: 1e-6, what: `EmbeddingBag ${mode}` });
    check(t, bag, [idx, offsets]);
  }
  const bag = new nn.EmbeddingBag(5, 2, { mode: 'sum' });
  check(t, bag, [idx, offsets], { extra: [t32(randomArray(5, 0.5, 2), [5])] });
});

/** Per-channel float64 batch statistics of x [N, C, ...]. */
function channelStats(x: Float32Array, shape: number[]): { mean: number[]; varPop: number[]; count: number } {
  const [n, c] = shape;
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const mean = new Array(c).fill(0);
  const sq = new Array(c).fill(0);
  for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let j = 0; j < inner; j++) {
    const v = x[(i * c + ch) * inner + j];
    mean[ch] += v;
    sq[ch] += v * v;
  }
  const count = n * inner;
  const m = mean.map((s) => s / count);
  return { mean: m, varPop: sq.map((s, ch) => s / count - m[ch] * m[ch]), count };
}

test('BatchNorm normalises per channel, tracks running stats and uses them in eval mode', (t) => {
  for (const [Layer, shape] of [[nn.BatchNorm1d, [6, 3]], [nn.BatchNorm1d, [4, 3, 5]], [nn.BatchNorm2d, [3, 3, 4, 5]]] as const) {
    const bn = new Layer(3, { momentum: 0.2 });
    const x = t32(randomArray(shape.reduce((a, b) => a * b, 1), -1, 3), [...shape]);
    const xd = x.data() as Float32Array;
    const st = channelStats(xd, [...shape]);
    const y = bn.forward(x).data() as Float32Array;
    const ys = channelStats(y, [...shape]);
    // Normalised: mean 0, population variance var/(var+eps) ~ 1.
    assertClose(t, ys.mean, [0, 0, 0], { rtol: 0, atol: 1e-5, what: `${bn.typeName} mean` });
    assertClose(t, ys.varPop, st.varPop.map((v) => v / (v + 1e-5)), { rtol: 1e-4, atol: 1e-5, what: `${bn.typeName} var` });
    assertClose(t, bn.runningMean.data(), st.mean.map((m) => 0.2 * m), { rtol: 1e-5, atol: 1e-6, what: 'running mean' });
    assertClose(t, bn.runningVar.data(), st.varPop.map((v) => 0.8 + (0.2 * v * st.count) / (st.count - 1)), { rtol: 1e-5, atol: 1e-6, what: 'running var (unbiased)' });
    bn.eval();
    const rm = bn.runningMean.data();
    const rv = bn.runningVar.data();
    const inner = shape.slice(2).reduce((a, b) => a * b, 1);
    const ye = bn.forward(x).data();
    const ref = Array.from(xd, (v, i) => {
      const ch = Math.floor(i / inner) % 3;
      return (v - rm[ch]) / Math.sqrt(rv[ch] + 1e-5);
    });
    assertClose(t, ye, ref, { rtol: 1e-5, atol: 1e-5, what: `${bn.typeName} eval` });
    t.deepEqual(Array.from(bn.runningMean.data()), Array.from(rm), 'eval mode leaves the running stats alone');
  }
  t.throws(() => new nn.BatchNorm1d(3).forward(tl.ones([1, 3])), { message: /more than 1 value per channel/ });
  t.throws(() => new nn.BatchNorm2d(3).forward(tl.ones([2, 4, 2, 2])), { message: /BatchNorm2d\(3\): expected a 4-D input with 3 channels in dim 1, got \[2,4,2,2\]/ });
});

test('BatchNorm and LayerNorm pass gradcheck (train and eval)', (t) => {
  tl.manualSeed(5);
  const NORM = { eps: 1e-2, tolerance: 2e-2 };
  const bn1 = new nn.BatchNorm1d(3);
  nn.init.uniform_(bn1.weight!, 0.5, 1.5);
  nn.init.uniform_(bn1.bias!, -0.5, 0.5);
  check(t, bn1, [input([5, 3], -2, 2)], NORM);
  check(t, new nn.BatchNorm2d(2), [input([2, 2, 3, 3], -2, 2)], NORM);
  check(t, new nn.BatchNorm1d(2).eval(), [input([3, 2, 4])], NORM);
  const ln = new nn.LayerNorm(6);
  nn.init.uniform_(ln.weight!, 0.5, 1.5);
  check(t, ln, [input([3, 6], -2, 2)], NORM);
  check(t, new nn.LayerNorm([2, 3]), [input([2, 2, 3], -2, 2)], NORM);
});

test('LayerNorm normalises over the trailing dims', (t) => {
  const ln = new nn.LayerNorm([2, 3]);
  const x = t32(randomArray(24, -3, 3), [4, 2, 3]);
  const xd = x.data();
  const y = ln.forward(x).data();
  const ref: number[] = [];
  for (let r = 0; r < 4; r++) {
    const row = Array.from(xd.subarray(r * 6, r * 6 + 6));
    const m = row.reduce((a, b) => a + b, 0) / 6;
    const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / 6;
    for (const z of row) ref.push((z - m) / Math.sqrt(v + 1e-5));
  }
  assertClose(t, y, ref, { rtol: 1e-4, atol: 1e-5, what: 'layer norm' });
  t.throws(() => ln.forward(tl.ones([4, 3, 2])), { message: /does not end with the normalised shape \[2,3\]/ });
});

test('Dropout passes gradcheck with a fixed mask; Sequential and MLP chain gradients', (t) => {
  check(t, new nn.Dropout(0.3), [input([4, 5])], { seed: 9 });
  tl.manualSeed(6);
  check(t, new nn.MLP(4, [6, 5], 2, { activation: 'tanh' }), [input([3, 4])]);
  check(t, new nn.Sequential(new nn.Linear(3, 4), new nn.Sigmoid(), new nn.Linear(4, 1)), [input([2, 3])]);
});

test('layers inside tidy() leave no tensors behind except the result', (t) => {
  const m = new nn.MLP(8, [16], 4, { batchNorm: true, dropout: 0.2 });
  const x = t32(randomArray(40, -1, 1, rng), [5, 8]);
  const y = tl.tidy(() => m.forward(x));
  t.false(y.isDisposed);
  t.false(m.parameters().some((p) => p.isDisposed));
  t.false(m.buffers().some((b) => b.isDisposed));
});
