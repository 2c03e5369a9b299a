import test from 'ava';
import * as m from '../src/metrics/index.js';

const close = (t: { true: (v: boolean, msg?: string) => void }, a: number, b: number, tol = 1e-9): void =>
  t.true(Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);

test('accuracy skips missing labels', (t) => {
  // -1 and NaN rows are missing; 3 of the 4 present rows match.
  close(t, m.accuracy([0, 1, 2, -1, 1], [0, 1, 1, 2, 1]), 3 / 4);
  close(t, m.accuracy([1, NaN, 0], [1, 0, 1]), 1 / 2);
  t.true(Number.isNaN(m.accuracy([NaN], [1])));
  t.throws(() => m.accuracy([1, 0], [1]), { message: /accuracy: 2 labels but 1 predictions/ });
});

test('binary precision, recall and F1 by hand', (t) => {
  const y = [1, 1, 1, 0, 0, 0, 0];
  const p = [1, 1, 0, 1, 0, 0, 0];
  // tp 2, fp 1, fn 1: P = R = 2/3, F1 = 2/3.
  close(t, m.precision(y, p), 2 / 3);
  close(t, m.recall(y, p), 2 / 3);
  close(t, m.f1(y, p), 2 / 3);
  // No predicted positives: precision 0 by convention, not NaN.
  t.is(m.precision([1, 0], [0, 0]), 0);
});

test('multiclass F1 macro and micro by hand', (t) => {
  const y = [0, 0, 1, 1, 2, 2];
  const p = [0, 1, 1, 1, 0, 2];
  // class 0: tp1 fp1 fn1 -> P .5 R .5 F .5 ; class 1: tp2 fp1 fn0 -> P 2/3 R 1 F .8 ; class 2: tp1 fp0 fn1 -> P 1 R .5 F 2/3
  close(t, m.f1(y, p, { average: 'macro', numClasses: 3 }), (0.5 + 0.8 + 2 / 3) / 3);
  close(t, m.precision(y, p, { average: 'macro', numClasses: 3 }), (0.5 + 2 / 3 + 1) / 3);
  close(t, m.recall(y, p, { average: 'macro', numClasses: 3 }), (0.5 + 1 + 0.5) / 3);
  // micro: tp 4, fp 2, fn 2 -> 2/3 (equals accuracy for single-label multiclass)
  close(t, m.f1(y, p, { average: 'micro', numClasses: 3 }), 4 / 6);
  close(t, m.f1(y, p, { average: 'micro', numClasses: 3 }), m.accuracy(y, p));
  t.throws(() => m.f1([0, 5], [0, 1], { numClasses: 3 }), { message: /outside classes 0..2/ });
});

test('ROC AUC: perfect, reversed, ties count one half', (t) => {
  close(t, m.rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]), 1);
  close(t, m.rocAuc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]), 0);
  close(t, m.rocAuc([0, 1], [0.5, 0.5]), 0.5);
  // pairs (pos, neg): pos .8 vs negs .1,.4,.8 -> 1 + 1 + .5 ; pos .35 vs -> 1 + 0 + 0 => 3.5 / 6
  close(t, m.rocAuc([0, 0, 0, 1, 1], [0.1, 0.4, 0.8, 0.8, 0.35]), 3.5 / 6);
  // every score tied -> 0.5
  close(t, m.rocAuc([0, 1, 1, 0, 1], [3, 3, 3, 3, 3]), 0.5);
  // missing labels skipped, one class only -> NaN
  close(t, m.rocAuc([0, NaN, 1], [0.2, 100, 0.3]), 1);
  t.true(Number.isNaN(m.rocAuc([1, 1], [0.2, 0.3])));
  t.throws(() => m.rocAuc([2], [0.1]), { message: /label 2 at row 0 is not 0 or 1/ });
});

test('ROC AUC agrees with brute-force pair counting on random data with ties', (t) => {
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const n of [1, 3, 17, 129]) {
    const y = Array.from({ length: n }, () => (rnd() < 0.4 ? 1 : 0));
    const s = Array.from({ length: n }, () => Math.floor(rnd() * 5)); // many ties
    let num = 0, den = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++)
      if (y[i] === 1 && y[j] === 0) {
        den++;
        num += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
      }
    const auc = m.rocAuc(y, s);
    if (den === 0) t.true(Number.isNaN(auc));
    else close(t, auc, num / den, 1e-12);
  }
});

test('log loss, RMSE, MAE by hand', (t) => {
  close(t, m.logLoss([1, 0], [0.8, 0.4]), -(Math.log(0.8) + Math.log(0.6)) / 2);
  close(t, m.logLoss([2, 0, -1], [0.1, 0.2, 0.7, 0.5, 0.25, 0.25, 0, 0, 1], 3), -(Math.log(0.7) + Math.log(0.5)) / 2);
  t.true(Number.isFinite(m.logLoss([1], [0])), 'clipped, not Infinity');
  close(t, m.rmse([1, 2, 3, NaN], [1, 4, 0, 9]), Math.sqrt((0 + 4 + 9) / 3));
  close(t, m.mae([1, 2, 3, NaN], [1, 4, 0, 9]), (0 + 2 + 3) / 3);
});

test('multi-task gain: signs follow metric direction', (t) => {
  const g = m.multiTaskGain(
    { click: { auc: 0.77, logloss: 0.45 }, price: { rmse: 9 } },
    { click: { auc: 0.7, logloss: 0.5 }, price: { rmse: 10 } },
  );
  // click: auc +10%, logloss lower by 10% -> +10% ; mean +10. price: rmse 10 -> 9 is +10%.
  close(t, g.perMetric.click.auc, 10, 1e-9);
  close(t, g.perMetric.click.logloss, 10, 1e-9);
  close(t, g.perTask.click, 10, 1e-9);
  close(t, g.perTask.price, 10, 1e-9);
  close(t, g.deltaM, 10, 1e-9);
  const worse = m.multiTaskGain({ a: { accuracy: 0.45 }, b: { mae: 1.5 } }, { a: { accuracy: 0.5 }, b: { mae: 1 } });
  close(t, worse.perTask.a, -10, 1e-9);
  close(t, worse.perTask.b, -50, 1e-9);
  close(t, worse.deltaM, -30, 1e-9);
  t.throws(() => m.multiTaskGain({}, { a: { auc: 0.5 } }), { message: /task 'a' has a single-task baseline but no multi-task result/ });
});

test('evaluateTask per task kind', (t) => {
  const bin = m.evaluateTask('binary', ['auc', 'accuracy', 'f1'], [1, 0, NaN, 1], [0.9, 0.2, 0.5, 0.4]);
  close(t, bin.auc, 1);
  close(t, bin.accuracy, 2 / 3);
  close(t, bin.f1, 2 / 3); // tp1 fn1 fp0 -> P 1 R .5
  const mc = m.evaluateTask('multiclass', ['accuracy', 'f1Micro'], [0, 2, -1], [0.6, 0.3, 0.1, 0.2, 0.7, 0.1, 1, 0, 0], 3);
  close(t, mc.accuracy, 1 / 2);
  const ml = m.evaluateTask('multilabel', ['auc', 'f1Micro'], [1, 0, 0, 1, NaN, 0], [0.9, 0.1, 0.2, 0.8, 0.5, 0.3], 2);
  close(t, ml.auc, 1);
  close(t, ml.f1Micro, 1);
  t.throws(() => m.evaluateTask('regression', ['auc'], [1], [1]), { message: /metric 'auc' is not defined for regression tasks/ });
});
