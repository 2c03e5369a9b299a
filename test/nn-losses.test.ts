// Losses against float64 references (every reduction, weights, masks) and gradcheck.
import test from 'ava';
import * as tl from '../src/index.js';
import { nn } from '../src/index.js';
import { assertClose, randomArray, t32 } from './helpers/reference.js';

const { crossEntropy, bceWithLogits, mse, huber } = nn.losses;
// float32 log-sum-exp and logs over a handful of terms: a few ulp relative.
const TOL = { rtol: 1e-5, atol: 1e-6 };
const GC = { eps: 1e-3, tolerance: 1e-2 };

const N = 6;
const C = 5;
const logitsData = randomArray(N * C, -3, 3);
const labelsData = Int32Array.from([0, 4, 2, 2, 1, 3]);

function ceRows(smoothing = 0): number[] {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const row = Array.from(logitsData.subarray(i * C, i * C + C), (v) => Math.fround(v));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    const nll = lse - row[labelsData[i]];
    const uniform = row.reduce((s, v) => s + (lse - v), 0) / C;
    out.push((1 - smoothing) * nll + smoothing * uniform);
  }
  return out;
}

const logits = () => t32(logitsData, [N, C]).requiresGrad_();
const labels = () => tl.tensor(labelsData, [N]);

test('crossEntropy matches log-softmax NLL for every reduction', (t) => {
  const rows = ceRows();
  assertClose(t, crossEntropy(logits(), labels(), { reduction: 'none' }).data(), rows, { ...TOL, what: 'none' });
  assertClose(t, [crossEntropy(logits(), labels(), { reduction: 'sum' }).item()], [rows.reduce((a, b) => a + b)], { ...TOL, what: 'sum' });
  assertClose(t, [crossEntropy(logits(), labels()).item()], [rows.reduce((a, b) => a + b) / N], { ...TOL, what: 'mean' });
});

test('crossEntropy with class weights, ignoreIndex and label smoothing', (t) => {
  const rows = ceRows();
  const cw = [1, 2, 0.5, 1, 3];
  // Weighted mean divides by the summed weight of the counted rows (PyTorch's rule).
  const wsum = Array.from(labelsData).reduce((s, y) => s + cw[y], 0);
  const wloss = rows.reduce((s, l, i) => s + cw[labelsData[i]] * l, 0);
  assertClose(t, [crossEntropy(logits(), labels(), { classWeights: cw }).item()], [wloss / wsum], { ...TOL, what: 'class weights' });
  const ign = tl.tensor(Int32Array.from([0, -100, 2, -100, 1, 3]), [N]);
  const kept = [0, 2, 4, 5];
  assertClose(t, [crossEntropy(logits(), ign).item()], [kept.reduce((s, i) => s + rows[i], 0) / kept.length], { ...TOL, what: 'ignoreIndex' });
  const smooth = ceRows(0.1);
  assertClose(t, [crossEntropy(logits(), labels(), { labelSmoothing: 0.1 }).item()], [smooth.reduce((a, b) => a + b) / N], { ...TOL, what: 'smoothing' });
});

test('crossEntropy passes gradcheck (plain, weighted, smoothed)', (t) => {
  for (const opts of [{}, { classWeights: [1, 2, 0.5, 1, 3] }, { labelSmoothing: 0.2 }, { reduction: 'none' as const }]) {
    const r = tl.gradcheck((x) => crossEntropy(x, labels(), opts), [logits()], GC);
    t.true(r.ok, `${JSON.stringify(opts)}: worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
  }
});

const bceX = randomArray(12, -4, 4);
const bceY = Float64Array.from(randomArray(12, 0, 1), (v) => (v < 0.5 ? 0 : 1));
const maskData = Float64Array.from([1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0]);

function bceRef(posWeight = 1): number[] {
  return Array.from(bceX, (x, i) => {
    const xf = Math.fround(x);
    const logSig = -Math.log1p(Math.exp(-xf));
    const log1mSig = -xf + logSig;
    return -(posWeight * bceY[i] * logSig + (1 - bceY[i]) * log1mSig);
  });
}

test('bceWithLogits matches the float64 formula; masks divide by the unmasked count', (t) => {
  const x = () => t32(bceX, [3, 4]).requiresGrad_();
  const y = t32(bceY, [3, 4]);
  const rows = bceRef();
  assertClose(t, bceWithLogits(x(), y, { reduction: 'none' }).data(), rows, { ...TOL, what: 'none' });
  assertClose(t, [bceWithLogits(x(), y).item()], [rows.reduce((a, b) => a + b) / 12], { ...TOL, what: 'mean' });
  const pw = bceRef(2.5);
  assertClose(t, [bceWithLogits(x(), y, { posWeight: 2.5, reduction: 'sum' }).item()], [pw.reduce((a, b) => a + b)], { ...TOL, what: 'posWeight' });
  const mask = t32(maskData, [3, 4]);
  const count = maskData.reduce((a, b) => a + b);
  const masked = rows.reduce((s, l, i) => s + l * maskData[i], 0);
  assertClose(t, [bceWithLogits(x(), y, { mask }).item()], [masked / count], { ...TOL, what: 'masked mean' });
  const none = bceWithLogits(x(), y, { mask: tl.zeros([3, 4]) });
  t.is(none.item(), 0, 'an all-masked batch has loss 0, not NaN');
  for (const opts of [{}, { mask, posWeight: 2 }]) {
    const r = tl.gradcheck((a) => bceWithLogits(a, y, opts), [x()], GC);
    t.true(r.ok, `bce gradcheck ${JSON.stringify(Object.keys(opts))}: worst ${r.maxError}`);
  }
  t.throws(() => bceWithLogits(x(), tl.zeros([4, 3])), { message: /\[3,4\].*\[4,3\]|\[4,3\].*\[3,4\]/ });
});

test('mse and huber match float64 references with masks and every reduction', (t) => {
  const p = randomArray(10, -3, 3);
  const q = randomArray(10, -3, 3);
  const m = Float64Array.from([1, 0, 1, 1, 0, 1, 1, 1, 1, 0]);
  const pf = Array.from(p, Math.fround);
  const qf = Array.from(q, Math.fround);
  const d = pf.map((v, i) => v - qf[i]);
  const sq = d.map((v) => v * v);
  const hub = d.map((v) => (Math.abs(v) <= 1.5 ? 0.5 * v * v : 1.5 * (Math.abs(v) - 0.75)));
  const pred = () => t32(p, [2, 5]).requiresGrad_();
  const target = t32(q, [2, 5]);
  const mask = t32(m, [2, 5]);
  const cnt = m.reduce((a, b) => a + b);
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  assertClose(t, mse(pred(), target, { reduction: 'none' }).data(), sq, { ...TOL, what: 'mse none' });
  assertClose(t, [mse(pred(), target).item()], [sum(sq) / 10], { ...TOL, what: 'mse mean' });
  assertClose(t, [mse(pred(), target, { mask }).item()], [sum(sq.map((v, i) => v * m[i])) / cnt], { ...TOL, what: 'mse masked' });
  assertClose(t, huber(pred(), target, { delta: 1.5, reduction: 'none' }).data(), hub, { ...TOL, what: 'huber none' });
  assertClose(t, [huber(pred(), target, { delta: 1.5, reduction: 'sum' }).item()], [sum(hub)], { ...TOL, what: 'huber sum' });
  assertClose(t, [huber(pred(), target, { delta: 1.5, mask }).item()], [sum(hub.map((v, i) => v * m[i])) / cnt], { ...TOL, what: 'huber masked' });
  t.is(huber(pred(), target, { mask: tl.zeros([2, 5]) }).item(), 0);
  t.is(mse(pred(), target, { mask: tl.zeros([2, 5]) }).item(), 0);
  for (const f of [(a: tl.Tensor) => mse(a, target, { mask }), (a: tl.Tensor) => huber(a, target, { delta: 1.5, mask })]) {
    const r = tl.gradcheck(f, [pred()], GC);
    t.true(r.ok, `worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
  }
  t.throws(() => huber(pred(), tl.zeros([5, 2])), { message: /huber: pred \[2,5\] and target \[5,2\] must have the same shape/ });
  t.throws(() => huber(pred(), target, { delta: 0 }), { message: /delta must be > 0/ });
  t.throws(() => mse(pred(), target, { reduction: 'avg' as 'mean' }), { message: /reduction must be 'none', 'mean' or 'sum'/ });
});

test('losses are exported at the top level too', (t) => {
  t.is(tl.crossEntropy, crossEntropy);
  t.is(tl.bceWithLogits, bceWithLogits);
  t.is(tl.mse, mse);
  t.is(tl.huber, huber);
});
