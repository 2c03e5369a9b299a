// Fused optimizer kernels against a float64 transcription of PyTorch's update formulas,
// over several steps, on awkward sizes and one that splits across threads.
import test from 'ava';
import * as tl from '../src/index.js';
import { AWKWARD, assertClose, randomArray, t32 } from './helpers/reference.js';

const SIZES = [...AWKWARD, 40000];
const STEPS = 5;
// float32 state updated 5 times; the relative error grows a few ulp per step, and the
// Adam-family divisions by sqrt(v) + eps amplify it where v is tiny.
const TOL = { rtol: 1e-4, atol: 1e-6 };

interface Run {
  name: string;
  state: string[];
  kernel: (p: tl.Tensor, g: tl.Tensor, s: Record<string, tl.Tensor>, step: number) => void;
  ref: (p: Float64Array, g: Float64Array, s: Record<string, Float64Array>, step: number) => void;
}

function check(t: import('ava').ExecutionContext, run: Run): void {
  for (const n of SIZES) {
    const p0 = randomArray(n, -1, 1);
    const param = t32(p0, [n]);
    const p = Float64Array.from(Float32Array.from(p0));
    const state: Record<string, tl.Tensor> = {};
    const refState: Record<string, Float64Array> = {};
    for (const k of run.state) {
      // Adagrad's sum starts at an initial accumulator value; the others at zero.
      const init = k === 'sum' ? 0.1 : 0;
      state[k] = tl.full([n], init);
      refState[k] = new Float64Array(n).fill(Math.fround(init));
    }
    for (let step = 1; step <= STEPS; step++) {
      const g = Float64Array.from(Float32Array.from(randomArray(n, -1, 1)));
      run.kernel(param, t32(g, [n]), state, step);
      run.ref(p, g, refState, step);
    }
    assertClose(t, param.data(), p, { ...TOL, what: `${run.name} n=${n} param` });
    for (const k of run.state) assertClose(t, state[k].data(), refState[k], { ...TOL, what: `${run.name} n=${n} ${k}` });
  }
}

const sgdCases: tl.SgdStep[] = [
  { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
  { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0.01, nesterov: false },
  { lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false },
  { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.001, nesterov: false },
  { lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: true },
];

for (const h of sgdCases) {
  test(`sgdUpdate ${JSON.stringify(h)} matches PyTorch's formula over ${STEPS} steps`, (t) => {
    check(t, {
      name: 'sgd',
      state: h.momentum ? ['buf'] : [],
      kernel: (p, g, s, step) => tl.sgdUpdate(p, g, s.buf ?? null, h, step === 1),
      ref: (p, g, s, step) => {
        for (let i = 0; i < p.length; i++) {
          let d = g[i] + h.weightDecay * p[i];
          if (h.momentum) {
            s.buf[i] = step === 1 ? d : h.momentum * s.buf[i] + (1 - h.dampening) * d;
            d = h.nesterov ? d + h.momentum * s.buf[i] : s.buf[i];
          }
          p[i] -= h.lr * d;
        }
      },
    });
  });
}

const adamCases: tl.AdamStep[] = [
  { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 0 },
  { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: false, step: 0 },
  { lr: 1e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupled: true, step: 0 },
  { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 0, amsgrad: true },
  { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 0, amsgrad: true },
];

for (const h of adamCases) {
  test(`adamUpdate ${h.decoupled ? 'AdamW' : 'Adam'} wd=${h.weightDecay} amsgrad=${!!h.amsgrad} matches PyTorch's formula over ${STEPS} steps`, (t) => {
    check(t, {
      name: h.decoupled ? 'adamw' : 'adam',
      state: h.amsgrad ? ['m', 'v', 'vMax'] : ['m', 'v'],
      kernel: (p, g, s, step) => tl.adamUpdate(p, g, s.m, s.v, { ...h, step }, s.vMax ?? null),
      ref: (p, g, s, step) => {
        const bc1 = 1 - h.beta1 ** step;
        const bc2 = 1 - h.beta2 ** step;
        for (let i = 0; i < p.length; i++) {
          if (h.decoupled) p[i] *= 1 - h.lr * h.weightDecay;
          const gi = h.decoupled ? g[i] : g[i] + h.weightDecay * p[i];
          s.m[i] = h.beta1 * s.m[i] + (1 - h.beta1) * gi;
          s.v[i] = h.beta2 * s.v[i] + (1 - h.beta2) * gi * gi;
          let v = s.v[i];
          if (h.amsgrad) v = s.vMax[i] = Math.max(s.vMax[i], v);
          p[i] -= (h.lr / bc1) * s.m[i] / (Math.sqrt(v) / Math.sqrt(bc2) + h.eps);
        }
      },
    });
  });
}

const rmsCases: tl.RmspropStep[] = [
  { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false },
  { lr: 1e-2, alpha: 0.9, eps: 1e-6, weightDecay: 0.01, momentum: 0.9, centered: false },
  { lr: 1e-2, alpha: 0.9, eps: 1e-6, weightDecay: 0, momentum: 0, centered: true },
  { lr: 1e-2, alpha: 0.95, eps: 1e-6, weightDecay: 0.01, momentum: 0.5, centered: true },
];

for (const h of rmsCases) {
  test(`rmspropUpdate ${JSON.stringify(h)} matches PyTorch's formula over ${STEPS} steps`, (t) => {
    const state = ['sq', ...(h.centered ? ['ga'] : []), ...(h.momentum ? ['buf'] : [])];
    check(t, {
      name: 'rmsprop',
      state,
      kernel: (p, g, s) => tl.rmspropUpdate(p, g, s.sq, h, s.ga ?? null, s.buf ?? null),
      ref: (p, g, s) => {
        for (let i = 0; i < p.length; i++) {
          const gi = g[i] + h.weightDecay * p[i];
          s.sq[i] = h.alpha * s.sq[i] + (1 - h.alpha) * gi * gi;
          let avg: number;
          if (h.centered) {
            s.ga[i] = h.alpha * s.ga[i] + (1 - h.alpha) * gi;
            avg = Math.sqrt(s.sq[i] - s.ga[i] * s.ga[i]) + h.eps;
          } else avg = Math.sqrt(s.sq[i]) + h.eps;
          if (h.momentum > 0) {
            s.buf[i] = h.momentum * s.buf[i] + gi / avg;
            p[i] -= h.lr * s.buf[i];
          } else p[i] -= (h.lr * gi) / avg;
        }
      },
    });
  });
}

for (const h of [{ lr: 0.1, lrDecay: 0, weightDecay: 0, eps: 1e-10 }, { lr: 0.1, lrDecay: 0.01, weightDecay: 0.05, eps: 1e-10 }]) {
  test(`adagradUpdate ${JSON.stringify(h)} matches PyTorch's formula over ${STEPS} steps`, (t) => {
    check(t, {
      name: 'adagrad',
      state: ['sum'],
      kernel: (p, g, s, step) => tl.adagradUpdate(p, g, s.sum, { ...h, step }),
      ref: (p, g, s, step) => {
        const clr = h.lr / (1 + (step - 1) * h.lrDecay);
        for (let i = 0; i < p.length; i++) {
          const gi = g[i] + h.weightDecay * p[i];
          s.sum[i] += gi * gi;
          p[i] -= (clr * gi) / (Math.sqrt(s.sum[i]) + h.eps);
        }
      },
    });
  });
}

test('optimizer updates are not recorded and leave the graph alone', (t) => {
  const p = tl.ones([3]).requiresGrad_();
  tl.sgdUpdate(p, tl.ones([3]), null, sgdCases[0], true);
  t.is(p.gradFn, null);
  assertClose(t, p.data(), [0.9, 0.9, 0.9], { rtol: 1e-7, what: 'sgd step' });
});

test('optimizer updates name bad arguments', (t) => {
  const p = tl.zeros([3]);
  const g = tl.zeros([3]);
  const adam = adamCases[0];
  t.is(t.throws(() => tl.sgdUpdate(p, tl.zeros([4]), null, sgdCases[0], true))?.message, 'sgdUpdate: grad [4] does not match param [3]');
  t.is(t.throws(() => tl.sgdUpdate(p, g, null, sgdCases[2], true))?.message, 'sgdUpdate: momentum 0.9 needs a momentumBuf');
  t.is(t.throws(() => tl.sgdUpdate(p, g, null, { ...sgdCases[0], nesterov: true }, true))?.message,
    'sgdUpdate: nesterov needs momentum > 0 and dampening 0 (got momentum 0, dampening 0)');
  t.is(t.throws(() => tl.sgdUpdate(p, g, null, { ...sgdCases[0], lr: NaN }, true))?.message, 'sgdUpdate: lr must be a finite number, got NaN');
  t.is(t.throws(() => tl.adamUpdate(p, g, tl.zeros([3]), tl.zeros([3]), { ...adam, step: 0 }))?.message, 'adamUpdate: step must be an integer >= 1 (1 on the first update), got 0');
  t.is(t.throws(() => tl.adamUpdate(p, g, tl.zeros([3]), tl.zeros([2]), { ...adam, step: 1 }))?.message, 'adamUpdate: v [2] does not match param [3]');
  t.is(t.throws(() => tl.adamUpdate(p, g, tl.zeros([3]), tl.zeros([3]), { ...adam, step: 1, amsgrad: true }))?.message, 'adamUpdate: amsgrad needs a vMax state tensor');
  t.regex(t.throws(() => tl.adamUpdate(p, g, tl.zeros([3], { dtype: 'int32' }), tl.zeros([3]), { ...adam, step: 1 }))!.message, /^adamUpdate: m must be float32, got int32/);
  t.is(t.throws(() => tl.rmspropUpdate(p, g, tl.zeros([3]), rmsCases[2]))?.message, 'rmspropUpdate: centered needs a gradAvg state tensor');
  t.is(t.throws(() => tl.adagradUpdate(p, g, tl.zeros([3]), { lr: 0.1, lrDecay: 0, weightDecay: 0, eps: 1e-10, step: 1.5 }))?.message,
    'adagradUpdate: step must be an integer >= 1 (1 on the first update), got 1.5');
  const d = tl.zeros([3]);
  d.dispose();
  t.regex(t.throws(() => tl.adagradUpdate(d, g, tl.zeros([3]), { lr: 0.1, lrDecay: 0, weightDecay: 0, eps: 1e-10, step: 1 }))!.message, /^adagradUpdate: param \[3\] was already disposed/);
});

test('adamUpdateMulti updates every tensor exactly as adamUpdate one by one, and stops at a non-finite gradient', (t) => {
  // Sizes on both sides of the per-thread grain (16384), so chunks start inside tensors.
  const sizes = [5, 20000, 1, 40000, 17, 3];
  for (const amsgrad of [false, true]) {
    for (const [wd, decoupled] of [[0, false], [0.01, false], [0.01, true]] as [number, boolean][]) {
      const h = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd, decoupled, amsgrad };
      const make = () => sizes.map((n, i) => ({
        param: t32(randomArray(n), [n]), grad: t32(randomArray(n), [n]), m: t32(randomArray(n, 0, 0.1), [n]), v: t32(randomArray(n, 0, 0.1), [n]),
        vMax: amsgrad ? t32(randomArray(n, 0, 0.2), [n]) : null, step: 1 + (i % 3),
      }));
      const a = make();
      const b = a.map((s) => ({ ...s, param: s.param.clone(), m: s.m.clone(), v: s.v.clone(), vMax: s.vMax ? s.vMax.clone() : null }));
      tl.adamUpdateMulti(a, h);
      for (const s of b) tl.adamUpdate(s.param, s.grad, s.m, s.v, { ...h, step: s.step }, s.vMax);
      a.forEach((s, i) => {
        t.deepEqual(s.param.data(), b[i].param.data(), `param ${i} amsgrad ${amsgrad} wd ${wd} decoupled ${decoupled}`);
        t.deepEqual(s.v.data(), b[i].v.data());
        if (amsgrad) t.deepEqual(s.vMax!.data(), b[i].vMax!.data());
      });
    }
  }
  const h = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false };
  const ts = sizes.map((n) => ({ param: t32(randomArray(n), [n]), grad: t32(randomArray(n), [n]), m: tl.zeros([n]), v: tl.zeros([n]), step: 1 }));
  const g3 = ts[3].grad.data() as Float32Array;
  g3[30000] = NaN;
  ts[3].grad = tl.tensor(g3, [sizes[3]]);
  const before = ts.map((s) => s.param.data());
  const e = t.throws(() => tl.adamUpdateMulti(ts, h), { instanceOf: tl.NonFiniteGradientError });
  t.is(e?.tensor, 3);
  t.is(e?.index, 30000);
  ts.forEach((s, i) => (i < 3 ? t.notDeepEqual(s.param.data(), before[i]) : t.deepEqual(s.param.data(), before[i])));
});
