// Failures that used to pass silently: NaN swallowed by relu/max/min, non-finite
// gradients written into weights, impossible allocations, a dtype mismatch reported as a
// shape mismatch. Numbers are compared with float64 references.
import test from 'ava';
import * as tl from '../src/index.js';
import { nn, optim } from '../src/index.js';
import { native } from '../src/native.js';
import { ISAS_HERE, assertClose, randomArray, withIsa } from './helpers/reference.js';

// ---- 1: NaN propagates as in PyTorch -------------------------------------------------

/** Random data in [-2, 2] of length n with NaN at a few positions (vector lanes and tails). */
function withNaNs(n: number): Float32Array {
  const x = Float32Array.from(randomArray(n, -2, 2));
  for (const i of [0, 5, 16, 17, n - 1]) if (i < n) x[i] = NaN;
  return x;
}

const geluRef = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
// PyTorch's forward of each op (NaN in gives NaN out; -0 and +0 compare equal here).
const unaryRefs: [string, (x: tl.Tensor) => tl.Tensor, (x: number) => number][] = [
  ['relu', tl.relu, (x) => (Number.isNaN(x) ? NaN : Math.max(0, x))],
  ['leakyRelu', (x) => tl.leakyRelu(x, 0.1), (x) => (x > 0 ? x : 0.1 * x)],
  ['gelu', tl.gelu, geluRef],
  ['sigmoid', tl.sigmoid, (x) => 1 / (1 + Math.exp(-x))],
  ['tanh', tl.tanh, Math.tanh],
  ['abs', tl.abs, Math.abs],
  ['clamp', (x) => tl.clamp(x, -0.5, 0.7), (x) => (Number.isNaN(x) ? NaN : Math.min(0.7, Math.max(-0.5, x)))],
  ['clamp (lower only)', (x) => tl.clamp(x, 0), (x) => (Number.isNaN(x) ? NaN : Math.max(0, x))],
];

for (const isa of ISAS_HERE)
  test(`nothing silent 1: relu(NaN) is NaN on every ISA, and so is every activation (${isa})`, (t) => {
    withIsa(isa, () => {
      for (const n of [1, 37, 40000]) {
        const x = withNaNs(n);
        for (const [name, op, ref] of unaryRefs)
          assertClose(t, op(tl.tensor(x, [n])).data(), Array.from(x, ref), { rtol: 4e-6, atol: 1e-6, what: `${name} n=${n} ${isa}` });
      }
    });
  });

for (const isa of ISAS_HERE)
  test(`nothing silent 1: maximum and minimum propagate NaN from either side (${isa})`, (t) => {
    withIsa(isa, () => {
      for (const n of [3, 37, 40000]) {
        const a = withNaNs(n);
        const b = Float32Array.from(randomArray(n, -2, 2));
        b[2] = NaN;
        const either = (f: (p: number, q: number) => number) => (p: number, q: number) => (Number.isNaN(p) || Number.isNaN(q) ? NaN : f(p, q));
        const ta = tl.tensor(a, [n]), tb = tl.tensor(b, [n]);
        assertClose(t, tl.maximum(ta, tb).data(), Array.from(a, (v, i) => either(Math.max)(v, b[i])), { what: `maximum(a, b) n=${n}` });
        assertClose(t, tl.maximum(tb, ta).data(), Array.from(a, (v, i) => either(Math.max)(b[i], v)), { what: `maximum(b, a) n=${n}` });
        assertClose(t, tl.minimum(ta, tb).data(), Array.from(a, (v, i) => either(Math.min)(v, b[i])), { what: `minimum(a, b) n=${n}` });
        assertClose(t, tl.minimum(tb, ta).data(), Array.from(a, (v, i) => either(Math.min)(b[i], v)), { what: `minimum(b, a) n=${n}` });
        // A scalar operand on either side takes the broadcast loops.
        assertClose(t, tl.maximum(ta, 0).data(), Array.from(a, (v) => either(Math.max)(v, 0)), { what: `maximum(a, 0) n=${n}` });
        assertClose(t, tl.minimum(ta, 0).data(), Array.from(a, (v) => either(Math.min)(v, 0)), { what: `minimum(a, 0) n=${n}` });
        assertClose(t, tl.maximum(tl.tensor([NaN], [1]), tb).data(), Array.from(b, () => NaN), { what: `maximum(NaN, b) n=${n}` });
      }
    });
  });

test('nothing silent 1: the fused linear + relu epilogue propagates NaN on every ISA', (t) => {
  const m = 5, n = 19, k = 7;
  const x = Float32Array.from(randomArray(m * k));
  const w = Float32Array.from(randomArray(n * k));
  const bias = Float32Array.from(randomArray(n));
  x[3 * k + 2] = NaN; // row 3 of the result is NaN
  bias[4] = NaN; // column 4 too
  const ref: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = bias[j];
      for (let p = 0; p < k; p++) s += x[i * k + p] * w[j * k + p];
      ref.push(Number.isNaN(s) ? NaN : Math.max(0, s));
    }
  for (const isa of ISAS_HERE)
    withIsa(isa, () => {
      const out = new Float32Array(m * n);
      native.linear_forward(out, x, w, bias, m, n, k, 1);
      assertClose(t, out, ref, { rtol: 1e-5, atol: 1e-5, what: `linear+relu ${isa}` });
    });
});

test('nothing silent 1: backward selects instead of multiplying by 0, as PyTorch does', (t) => {
  // Upstream gradients that are inf or NaN must not leak into inactive units.
  const x = tl.tensor([-1, 2, NaN, -3, 0.25, 5], [6]).requiresGrad_();
  const g = tl.tensor([Infinity, 1, 1, NaN, 2, NaN], [6]);
  const grad = (f: (x: tl.Tensor) => tl.Tensor): number[] => {
    x.grad = null;
    f(x).backward(g);
    return Array.from(x.grad!.data());
  };
  // relu: 0 where x <= 0, the gradient elsewhere (PyTorch selects on the output, so a
  // NaN input passes its gradient through).
  t.deepEqual(grad(tl.relu), [0, 1, 1, 0, 2, NaN]);
  // clamp to [-0.5, 0.7]: the gradient only strictly where the input was inside; NaN gets 0.
  t.deepEqual(grad((v) => tl.clamp(v, -0.5, 0.7)), [0, 0, 0, 0, 2, 0]);
  // maximum with 0: ties and NaN send the gradient to the first operand.
  const b = tl.tensor([0, 0, 0, 0, 0, 0], [6]).requiresGrad_();
  x.grad = null;
  tl.maximum(x, b).backward(g);
  t.deepEqual(Array.from(x.grad!.data()), [0, 1, 1, 0, 2, NaN]);
  t.deepEqual(Array.from(b.grad!.data()), [Infinity, 0, 1, NaN, 0, 0], 'NaN sends the gradient to both, as PyTorch does');
  b.grad = null;
  x.grad = null;
  tl.minimum(x, b).backward(g);
  t.deepEqual(Array.from(x.grad!.data()), [Infinity, 0, 1, NaN, 0, 0]);
  t.deepEqual(Array.from(b.grad!.data()), [0, 1, 1, 0, 2, NaN]);
});

// ---- 2: a non-finite gradient stops the optimizer step --------------------------------

function makeParams(): tl.Tensor[] {
  tl.manualSeed(3);
  const a = tl.randn([4, 3]).requiresGrad_();
  a.name = 'encoder.weight';
  const b = tl.randn([70000]).requiresGrad_(); // several threads' chunks
  return [a, b];
}

const optimizers: [string, (ps: tl.Tensor[]) => optim.Optimizer][] = [
  ['SGD', (ps) => new optim.SGD(ps, { lr: 0.1 })],
  ['SGD momentum', (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true })],
  ['Adam', (ps) => new optim.Adam(ps, { lr: 0.01, amsgrad: true })],
  ['AdamW', (ps) => new optim.AdamW(ps, { lr: 0.01 })],
  ['RMSprop', (ps) => new optim.RMSprop(ps, { lr: 0.01, momentum: 0.5, centered: true })],
  ['Adagrad', (ps) => new optim.Adagrad(ps, { lr: 0.01 })],
];

for (const [name, make] of optimizers)
  test(`nothing silent 2: ${name} refuses a non-finite gradient and leaves the parameter and its state unchanged`, (t) => {
    const ps = makeParams();
    const opt = make(ps);
    const setGrads = (scale: number) => ps.forEach((p, i) => (p.grad = tl.full(p.shape, scale * (i + 1)).keep()));
    setGrads(0.5);
    opt.step(); // state exists now
    const steps = [1, 1]; // each parameter's step count
    for (const [which, bad, at] of [[1, NaN, 69990], [0, Infinity, 7], [1, -Infinity, 3]] as const) {
      setGrads(0.25);
      const g = ps[which].grad!.data() as Float32Array;
      g[at] = bad;
      ps[which].grad = tl.tensor(g, ps[which].shape).keep();
      const before = ps.map((p) => Array.from(p.data()));
      const stateBefore = JSON.stringify(opt.stateDict().state[String(which)], (_k, v) => (v instanceof Float32Array ? Array.from(v) : v));
      const err = t.throws(() => opt.step())!;
      t.regex(err.message, new RegExp(`${name.split(' ')[0]}.step`));
      // Parameters update in order: those before the bad one have taken this step.
      for (let i = 0; i < which; i++) steps[i]++;
      t.regex(err.message, new RegExp(`at step ${steps[which] + 1} `));
      t.regex(err.message, which === 0 ? /'encoder\.weight' \[4,3\]/ : /parameter 1 of group 0 \[70000\]/);
      t.regex(err.message, new RegExp(`${String(bad)} at element ${at}`));
      t.deepEqual(Array.from(ps[which].data()), before[which], 'the parameter is unchanged');
      const stateAfter = JSON.stringify(opt.stateDict().state[String(which)], (_k, v) => (v instanceof Float32Array ? Array.from(v) : v));
      t.is(stateAfter, stateBefore, 'its state (moments, step count) is unchanged');
    }
    // A finite gradient then steps exactly as an optimizer that never saw the bad ones.
    const ref = makeParams();
    const refOpt = make(ref);
    ref.forEach((p, i) => (p.grad = tl.full(p.shape, 0.5 * (i + 1)).keep()));
    refOpt.step();
    // Parameter 1 has taken two steps now, the reference too.
    setGrads(0.25);
    opt.step();
    ref.forEach((p, i) => (p.grad = tl.full(p.shape, 0.25 * (i + 1)).keep()));
    refOpt.step();
    for (const [i, p] of ps.entries()) if (i === 1) assertClose(t, p.data(), ref[i].data(), { rtol: 0, atol: 0, what: `${name} param ${i}` });
  });

test('nothing silent 2: the fused kernels report the first non-finite element and write nothing', (t) => {
  for (const isa of ISAS_HERE)
    withIsa(isa, () => {
      for (const n of [1, 37, 70000]) {
        const p = Float32Array.from(randomArray(n));
        const g = Float32Array.from(randomArray(n));
        const m = new Float32Array(n), v = new Float32Array(n);
        t.is(native.adam_update(p.slice(), g, m.slice(), v.slice(), null, n, 0.01, 0.9, 0.999, 1e-8, 0, false, false, 1), -1, `clean n=${n}`);
        g[n - 1] = NaN;
        if (n > 1) g[n >> 1] = Infinity;
        const first = n > 1 ? n >> 1 : 0;
        const p2 = p.slice(), m2 = m.slice(), v2 = v.slice();
        t.is(native.adam_update(p2, g, m2, v2, null, n, 0.01, 0.9, 0.999, 1e-8, 0, false, false, 1), first, `adam n=${n} ${isa}`);
        t.deepEqual([p2, m2, v2], [p, m, v]);
        const p3 = p.slice();
        t.is(native.sgd_update(p3, g, null, n, 0.1, 0, 0, 0, false, false), first, `sgd n=${n} ${isa}`);
        t.deepEqual(p3, p);
      }
    });
});

// ---- 3: allocations larger than the machine are refused at once ----------------------

test('nothing silent 3: an allocation larger than this machine’s memory fails at once, naming the op and the bytes', (t) => {
  const err = t.throws(() => tl.zeros([1e6, 1e6]))!;
  t.regex(err.message, /^zeros: \[1000000,1000000\] float32 needs 3\.6 TiB, more than this machine's [\d.]+ GiB of memory/);
  t.throws(() => tl.randn([65536, 65536, 4]), { message: /^randn: \[65536,65536,4\] float32 needs 64\.0 GiB/ });
  t.throws(() => tl.ones([2 ** 40], { dtype: 'int32' }), { message: /^ones: \[1099511627776\] int32 needs 4\.0 TiB/ });
  // Ops that allocate their result get the same check.
  t.throws(() => tl.add(tl.zeros([2 ** 21, 1]), tl.zeros([1, 2 ** 21])), { message: /^add: \[2097152,2097152\] float32 needs 16\.0 TiB/ });
});

// ---- 4: loadStateDict names a dtype mismatch as such ------------------------------------

test('nothing silent 4: loadStateDict reports a dtype mismatch by key and both dtypes, not as a shape', (t) => {
  const lin = new nn.Linear(2, 3);
  const err = t.throws(() => lin.loadStateDict({ weight: tl.zeros([3, 2], { dtype: 'int32' }), bias: tl.zeros([3]) }))!;
  t.regex(err.message, /wrong dtype: 'weight': expected float32, got int32/);
  t.notRegex(err.message, /shape/);
  t.throws(() => lin.loadStateDict({ weight: new Int32Array(6), bias: new Float32Array(3) }), { message: /wrong dtype: 'weight': expected float32, got int32 \(Int32Array\)/ });
  // Both kinds of problem are listed together.
  const both = t.throws(() => lin.loadStateDict({ weight: tl.zeros([2, 2]), bias: tl.zeros([3], { dtype: 'int32' }) }))!;
  t.regex(both.message, /wrong shape: 'weight': checkpoint \[2,2\], model \[3,2\]/);
  t.regex(both.message, /wrong dtype: 'bias': expected float32, got int32/);
});
