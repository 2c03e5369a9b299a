// The README's library sketch, run as written, so the README stays true.
import test from 'ava';
import * as tl from '../src/index.js';
import { nn, optim, mtl } from '../src/index.js';

test('the README library sketch runs and learns', (t) => {
  tl.manualSeed(0);
  const x = tl.randn([64, 10]);
  const w = tl.randn([10, 1]).requiresGrad_();
  const loss = x.matmul(w).sigmoid().mean();
  loss.backward();
  t.deepEqual([...w.grad!.shape], [10, 1]);
  t.true(tl.gradcheck((w) => x.matmul(w).tanh().sum(), [w]).ok);

  const net = new nn.Sequential(new nn.Linear(10, 32), new nn.ReLU(), new nn.Linear(32, 3));
  const opt = new optim.AdamW(net.parameters(), { lr: 1e-3 });
  tl.tidy(() => {
    const l = tl.crossEntropy(net.forward(x), tl.randint(0, 3, [64]));
    opt.zeroGrad();
    l.backward();
    opt.step();
  });

  const tasks = [
    { name: 'click', type: 'binary' as const },
    { name: 'category', type: 'multiclass' as const, numClasses: 5 },
  ];
  // Labels that depend on x, so the trained model must beat chance.
  const xs = x.data();
  const clickLabels = tl.tensor(Float32Array.from({ length: 64 }, (_, i) => (xs[i * 10] > 0 ? 1 : 0)), [64]);
  const categoryLabels = tl.tensor(Int32Array.from({ length: 64 }, (_, i) => (xs[i * 10 + 1] > 0 ? 1 : 0) + (xs[i * 10 + 2] > 0 ? 2 : 0)), [64]);
  const model = new mtl.MMoE({ tasks, inputDim: 10, numExperts: 4, expertHidden: [32] });
  const data = { inputs: { x }, labels: { click: clickLabels, category: categoryLabels } };
  const history = mtl.train(model, data, { epochs: 30, lr: 0.01, weighting: 'uncertainty', validation: data, progress: false });
  t.is(history.epochs.length, 30);
  const result = mtl.evaluate(model, data);
  // Margin over the trivial baselines (AUC 0.5; majority class ~0.25-0.3 of 4 classes).
  t.true(result.metrics.click.auc > 0.9, `click AUC ${result.metrics.click.auc}`);
  t.true(result.metrics.category.accuracy > 0.6, `category accuracy ${result.metrics.category.accuracy}`);
});
