// Optimizers against float64 references on a quadratic, param groups, state dicts,
// clipping and schedulers. Gradients are set by hand so that only the update is tested.
import test from 'ava';
import * as tl from '../src/index.js';
import { optim } from '../src/index.js';
import { assertClose, randomArray } from './helpers/reference.js';

const N = 37; // not a multiple of 16
const STEPS = 6;

/** The quadratic 0.5 * sum(a (p - c)^2): gradient a (p - c). */
function problem(seed: number) {
  const gen = new tl.Generator(seed);
  return { a: randomArray(N, 0.5, 2, gen), c: randomArray(N, -1, 1, gen), p0: randomArray(N, -2, 2, gen) };
}

function gradOf(a: Float64Array, c: Float64Array, p: ArrayLike<number>): Float64Array {
  return Float64Array.from(p, (v, i) => a[i] * (v - c[i]));
}

type RefStep = (p: Float64Array, g: Float64Array, state: Record<string, Float64Array | number>) => void;

function runOptimizer(make: (params: tl.Tensor[]) => optim.Optimizer, seed: number): Float32Array {
  const { a, c, p0 } = problem(seed);
  const p = tl.tensor(Float32Array.from(p0), [N]);
  p.requiresGrad_();
  const opt = make([p]);
  for (let s = 0; s < STEPS; s++) {
    p.grad = tl.tensor(Float32Array.from(gradOf(a, c, p.data())), [N]).keep();
    opt.step();
    opt.zeroGrad();
  }
  return p.data() as Float32Array;
}

function runReference(step: RefStep, seed: number): Float64Array {
  const { a, c, p0 } = problem(seed);
  const p = Float64Array.from(p0);
  const state: Record<string, Float64Array | number> = { t: 0 };
  for (let s = 0; s < STEPS; s++) {
    state.t = (state.t as number) + 1;
    step(p, gradOf(a, c, p), state);
  }
  return p;
}

function buf(state: Record<string, Float64Array | number>, key: string): Float64Array {
  if (!state[key]) state[key] = new Float64Array(N);
  return state[key] as Float64Array;
}

function sgdRef(lr: number, momentum: number, dampening: number, wd: number, nesterov: boolean): RefStep {
  return (p, g, st) => {
    const b = buf(st, 'b');
    for (let i = 0; i < N; i++) {
      let d = g[i] + wd * p[i];
      if (momentum > 0) {
        b[i] = st.t === 1 ? d : momentum * b[i] + (1 - dampening) * d;
        d = nesterov ? d + momentum * b[i] : b[i];
      }
      p[i] -= lr * d;
    }
  };
}

function adamRef(lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean, amsgrad: boolean): RefStep {
  return (p, g, st) => {
    const m = buf(st, 'm');
    const v = buf(st, 'v');
    const vm = buf(st, 'vm');
    const t = st.t as number;
    for (let i = 0; i < N; i++) {
      let gi = g[i];
      if (decoupled) p[i] *= 1 - lr * wd;
      else gi += wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      vm[i] = Math.max(vm[i], v[i]);
      const vv = amsgrad ? vm[i] : v[i];
      const denom = Math.sqrt(vv) / Math.sqrt(1 - b2 ** t) + eps;
      p[i] -= (lr / (1 - b1 ** t)) * (m[i] / denom);
    }
  };
}

function rmspropRef(lr: number, alpha: number, eps: number, momentum: number, wd: number, centered = false): RefStep {
  return (p, g, st) => {
    const sq = buf(st, 'sq');
    const ga = buf(st, 'ga');
    const b = buf(st, 'b');
    for (let i = 0; i < N; i++) {
      const gi = g[i] + wd * p[i];
      sq[i] = alpha * sq[i] + (1 - alpha) * gi * gi;
      ga[i] = alpha * ga[i] + (1 - alpha) * gi;
      const step = gi / (Math.sqrt(centered ? sq[i] - ga[i] * ga[i] : sq[i]) + eps);
      if (momentum > 0) {
        b[i] = momentum * b[i] + step;
        p[i] -= lr * b[i];
      } else p[i] -= lr * step;
    }
  };
}

function adagradRef(lr: number, eps: number, wd: number, lrDecay = 0, init = 0): RefStep {
  return (p, g, st) => {
    if (!st.s) st.s = new Float64Array(N).fill(init);
    const s = buf(st, 's');
    const clr = lr / (1 + ((st.t as number) - 1) * lrDecay);
    for (let i = 0; i < N; i++) {
      const gi = g[i] + wd * p[i];
      s[i] += gi * gi;
      p[i] -= (clr * gi) / (Math.sqrt(s[i]) + eps);
    }
  };
}

// Six float32 steps from values of order 1: a few ulp of drift per step.
const TOL = { rtol: 1e-5, atol: 1e-5 };

const cases: [string, (ps: tl.Tensor[]) => optim.Optimizer, RefStep][] = [
  ['SGD', (ps) => new optim.SGD(ps, { lr: 0.1 }), sgdRef(0.1, 0, 0, 0, false)],
  ['SGD momentum+dampening+wd', (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }), sgdRef(0.05, 0.9, 0.1, 0.01, false)],
  ['SGD nesterov', (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.8, nesterov: true }), sgdRef(0.05, 0.8, 0, 0, true)],
  ['Adam', (ps) => new optim.Adam(ps, { lr: 0.05 }), adamRef(0.05, 0.9, 0.999, 1e-8, 0, false, false)],
  ['Adam wd+amsgrad', (ps) => new optim.Adam(ps, { lr: 0.05, betas: [0.8, 0.99], weightDecay: 0.1, amsgrad: true }), adamRef(0.05, 0.8, 0.99, 1e-8, 0.1, false, true)],
  ['AdamW', (ps) => new optim.AdamW(ps, { lr: 0.05, weightDecay: 0.1 }), adamRef(0.05, 0.9, 0.999, 1e-8, 0.1, true, false)],
  ['RMSprop', (ps) => new optim.RMSprop(ps, { lr: 0.01 }), rmspropRef(0.01, 0.99, 1e-8, 0, 0)],
  ['RMSprop momentum+wd', (ps) => new optim.RMSprop(ps, { lr: 0.01, alpha: 0.9, momentum: 0.5, weightDecay: 0.05 }), rmspropRef(0.01, 0.9, 1e-8, 0.5, 0.05)],
  ['RMSprop centered', (ps) => new optim.RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.3 }), rmspropRef(0.01, 0.99, 1e-8, 0.3, 0, true)],
  ['Adagrad', (ps) => new optim.Adagrad(ps, { lr: 0.1, weightDecay: 0.02 }), adagradRef(0.1, 1e-10, 0.02)],
  ['Adagrad lrDecay+initial accumulator', (ps) => new optim.Adagrad(ps, { lr: 0.1, lrDecay: 0.1, initialAccumulatorValue: 0.5 }), adagradRef(0.1, 1e-10, 0, 0.1, 0.5)],
];

for (const [name, make, ref] of cases) {
  test(`${name} matches a float64 reference over ${STEPS} steps`, (t) => {
    assertClose(t, runOptimizer(make, 11), runReference(ref, 11), { ...TOL, what: name });
  });
}

test('param groups keep their own lr and weight decay', (t) => {
  const { a, c, p0 } = problem(5);
  const p1 = tl.tensor(Float32Array.from(p0), [N]).requiresGrad_();
  const p2 = tl.tensor(Float32Array.from(p0), [N]).requiresGrad_();
  const opt = new optim.SGD([{ params: [p1] }, { params: [p2], lr: 0.01, weightDecay: 0.5 }], { lr: 0.1, momentum: 0.9 });
  t.is(opt.paramGroups[0].lr, 0.1);
  t.is(opt.paramGroups[1].momentum, 0.9, 'unset hyper-parameters come from the defaults');
  for (let s = 0; s < STEPS; s++) {
    for (const p of [p1, p2]) p.grad = tl.tensor(Float32Array.from(gradOf(a, c, p.data())), [N]).keep();
    opt.step();
    opt.zeroGrad();
  }
  assertClose(t, p1.data(), runReference(sgdRef(0.1, 0.9, 0, 0, false), 5), { ...TOL, what: 'group 0' });
  assertClose(t, p2.data(), runReference(sgdRef(0.01, 0.9, 0, 0.5, false), 5), { ...TOL, what: 'group 1' });
});

test('step skips parameters without a gradient; zeroGrad sets grad to null', (t) => {
  const p = tl.ones([3]).requiresGrad_();
  const q = tl.ones([3]).requiresGrad_();
  const opt = new optim.RMSprop([p, q], { lr: 0.1 });
  p.grad = tl.ones([3]).keep();
  opt.step();
  t.deepEqual(Array.from(q.data()), [1, 1, 1]);
  t.true(p.data()[0] < 1);
  opt.zeroGrad();
  t.is(p.grad as tl.Tensor | null, null);
});

test('optimizer arguments are checked', (t) => {
  const p = tl.ones([2]).requiresGrad_();
  t.throws(() => new optim.SGD([], { lr: 0.1 }), { message: /empty parameter list/ });
  t.throws(() => new optim.SGD([p], { lr: -1 }), { message: /lr must be a number >= 0, got -1/ });
  t.throws(() => new optim.SGD([p], { lr: 0.1, nesterov: true }), { message: /nesterov needs momentum > 0/ });
  t.throws(() => new optim.Adam([p], { betas: [0.9, 1] }), { message: /beta2 must be in \[0, 1\), got 1/ });
  t.throws(() => new optim.Adam([{ params: [p] }, { params: [p] }]), { message: /appears in more than one group/ });
});

test('optimizer stateDict round trip continues bit for bit', (t) => {
  const { a, c, p0 } = problem(9);
  const setGrad = (p: tl.Tensor) => (p.grad = tl.tensor(Float32Array.from(gradOf(a, c, p.data())), [N]).keep());
  const p = tl.tensor(Float32Array.from(p0), [N]).requiresGrad_();
  const opt = new optim.RMSprop([p], { lr: 0.02, momentum: 0.5 });
  for (let s = 0; s < 3; s++) {
    setGrad(p);
    opt.step();
  }
  const sd = structuredClone(opt.stateDict());
  t.deepEqual(Object.keys(sd.state['0'].tensors).sort(), ['momentumBuffer', 'squareAvg']);
  t.is(sd.state['0'].step, 3);
  const q = tl.tensor(p.data() as Float32Array, [N]).requiresGrad_();
  const opt2 = new optim.RMSprop([q], { lr: 1, momentum: 0.5 });
  opt2.loadStateDict(sd);
  t.is(opt2.paramGroups[0].lr, 0.02);
  for (let s = 0; s < 3; s++) {
    setGrad(p);
    setGrad(q);
    opt.step();
    opt2.step();
  }
  t.deepEqual(Array.from(q.data()), Array.from(p.data()));
  const bad = structuredClone(sd);
  bad.state['0'].tensors.squareAvg = new Float32Array(3);
  t.throws(() => opt2.loadStateDict(bad), { message: /state 'squareAvg' of parameter 0 .* has 3 values, expected 37/ });
  t.throws(() => opt2.loadStateDict({ groups: [], state: {} }), { message: /checkpoint has 0 param groups, this optimizer 1/ });
});

test('clipGradNorm scales all gradients to the max norm and returns the norm before', (t) => {
  const p = tl.ones([2]).requiresGrad_();
  const q = tl.ones([1]).requiresGrad_();
  p.grad = tl.tensor([3, 0]).keep();
  q.grad = tl.tensor([4]).keep();
  const norm = optim.clipGradNorm([p, q], 1);
  t.true(Math.abs(norm - 5) < 1e-6);
  assertClose(t, [...p.grad.data(), ...q.grad.data()], [0.6, 0, 0.8], { rtol: 1e-5, atol: 1e-6, what: 'clipped' });
  // Below the limit nothing changes.
  t.true(Math.abs(optim.clipGradNorm([p, q], 10) - 1) < 1e-5);
  assertClose(t, p.grad.data(), [0.6, 0], { rtol: 1e-5, atol: 1e-6, what: 'unclipped' });
  t.true(Math.abs(optim.clipGradNorm([p, q], 1, { normType: Infinity }) - 0.8) < 1e-6);
  q.grad = tl.tensor([NaN]).keep();
  t.throws(() => optim.clipGradNorm([p, q], 1), { message: /total gradient norm is NaN/ });
});

test('clipGradValue clamps each element', (t) => {
  const p = tl.ones([4]).requiresGrad_();
  p.grad = tl.tensor([-3, -0.1, 0.2, 5]).keep();
  optim.clipGradValue([p], 0.5);
  assertClose(t, p.grad.data(), [-0.5, -0.1, 0.2, 0.5], { rtol: 0, atol: 1e-7, what: 'clamped' });
});

function lrs(make: (o: optim.Optimizer) => { step(m?: number): void; getLastLr(): number[] }, steps: number, metrics: number[] = []): number[] {
  const opt = new optim.SGD([tl.ones([1]).requiresGrad_()], { lr: 1 });
  const s = make(opt);
  const out = [s.getLastLr()[0]];
  for (let i = 0; i < steps; i++) {
    s.step(metrics[i]);
    out.push(s.getLastLr()[0]);
    if (opt.paramGroups[0].lr !== out[out.length - 1]) throw new Error('the group lr and getLastLr disagree');
  }
  return out;
}

const near = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 1e-12);

test('schedulers produce the documented lr sequences', (t) => {
  t.deepEqual(lrs((o) => new optim.StepLR(o, { stepSize: 2, gamma: 0.5 }), 5), [1, 1, 0.5, 0.5, 0.25, 0.25]);
  t.true(near(lrs((o) => new optim.ExponentialLR(o, { gamma: 0.9 }), 3), [1, 0.9, 0.81, 0.729]));
  t.true(near(lrs((o) => new optim.CosineAnnealingLR(o, { tMax: 4, etaMin: 0.1 }), 4), [1, 0.1 + 0.9 * (1 + Math.SQRT1_2) / 2, 0.55, 0.1 + 0.9 * (1 - Math.SQRT1_2) / 2, 0.1]));
  t.true(near(lrs((o) => new optim.LinearWarmup(o, { warmupSteps: 4, startFactor: 0.2 }), 6), [0.2, 0.4, 0.6, 0.8, 1, 1, 1]));
  // Plateau: patience 1 -> the lr drops on the second step without improvement.
  t.true(near(lrs((o) => new optim.ReduceLROnPlateau(o, { factor: 0.5, patience: 1 }), 6, [5, 4, 4, 4, 3, 3.5]), [1, 1, 1, 1, 0.5, 0.5, 0.5]));
  t.true(near(lrs((o) => new optim.ReduceLROnPlateau(o, { mode: 'max', factor: 0.1, patience: 0 }), 3, [1, 2, 1]), [1, 1, 1, 0.1]));
  t.throws(() => new optim.StepLR(new optim.SGD([tl.ones([1])], { lr: 1 }), { stepSize: 0 }), { message: /stepSize must be a positive integer/ });
  t.throws(() => new optim.ReduceLROnPlateau(new optim.SGD([tl.ones([1])], { lr: 1 })).step(NaN), { message: /needs a finite metric/ });
});

test('schedulers scale each group from its own initial lr and restore from stateDict', (t) => {
  const opt = new optim.SGD([{ params: [tl.ones([1])] }, { params: [tl.ones([1])], lr: 0.1 }], { lr: 1 });
  const s = new optim.StepLR(opt, { stepSize: 1, gamma: 0.5 });
  s.step();
  s.step();
  t.true(near(s.getLastLr(), [0.25, 0.025]));
  const s2 = new optim.StepLR(opt, { stepSize: 1, gamma: 0.5 });
  s2.loadStateDict(s.stateDict());
  t.true(near(s2.getLastLr(), [0.25, 0.025]));
});

test('Adam.step on a non-finite gradient: parameters before it updated, it and those after it unchanged with no state', (t) => {
  const ps = [tl.ones([3]).keep(), tl.ones([2, 2]).keep(), tl.ones([4]).keep()];
  ps.forEach((p) => p.requiresGrad_());
  const opt = new optim.Adam(ps, { lr: 0.1 });
  ps[0].grad = tl.ones([3]).keep();
  ps[1].grad = tl.tensor([1, NaN, 1, 1], [2, 2]).keep();
  ps[2].grad = tl.ones([4]).keep();
  t.throws(() => opt.step(), { message: /Adam\.step: the gradient of parameter 1 of group 0 \[2,2\] at step 1 has a non-finite value \(NaN at element 1\)/ });
  t.notDeepEqual(Array.from(ps[0].data()), [1, 1, 1]);
  t.deepEqual(Array.from(ps[1].data()), [1, 1, 1, 1]);
  t.deepEqual(Array.from(ps[2].data()), [1, 1, 1, 1]);
  t.is(opt.state.get(ps[0])?.step, 1);
  t.false(opt.state.has(ps[1]));
  t.false(opt.state.has(ps[2]));
  ps[1].grad = tl.ones([2, 2]).keep();
  opt.step();
  t.is(opt.state.get(ps[0])?.step, 2);
  t.is(opt.state.get(ps[2])?.step, 1);
});
