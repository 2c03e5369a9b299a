// End to end: LeNet on the committed Fashion-MNIST subset (5,000 training images) must
// reach >= 75% accuracy on the 1,000 held-out test images (chance is 10%) within a minute.
import test from 'ava';
import { join } from 'node:path';
import * as tl from '../src/index.js';
import { nn, optim } from '../src/index.js';
import { loadImageSplit, type ImageSplit } from '../src/data/idx.js';
import { globalGenerator } from '../src/tensor/random.js';

const DIR = join(import.meta.dirname, '..', 'data', 'fashion-mnist-subset');
const BATCH = 64;
const EPOCHS = 6;

/** Rows `idx` of a split as a batch (copied on the host: the split stays on the CPU). */
function batch(split: ImageSplit, idx: ArrayLike<number>): [tl.Tensor, tl.Tensor] {
  const per = split.images.size / split.images.shape[0];
  const src = split.images.buf as Float32Array;
  const lab = split.labels.buf as Int32Array;
  const x = new Float32Array(idx.length * per);
  const y = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    x.set(src.subarray(idx[i] * per, (idx[i] + 1) * per), i * per);
    y[i] = lab[idx[i]];
  }
  return [tl.tensor(x, [idx.length, ...split.images.shape.slice(1)]), tl.tensor(y, [idx.length])];
}

function accuracy(model: nn.Module, split: ImageSplit): number {
  model.eval();
  const n = split.labels.size;
  let correct = 0;
  for (let s = 0; s < n; s += 500) {
    const idx = Array.from({ length: Math.min(500, n - s) }, (_, i) => s + i);
    correct += tl.tidy(() =>
      tl.noGrad(() => {
        const [x, y] = batch(split, idx);
        const pred = tl.argmax(model.forward(x), 1).data();
        const yd = y.data();
        let c = 0;
        for (let i = 0; i < idx.length; i++) if (pred[i] === yd[i]) c++;
        return c;
      }),
    );
  }
  model.train();
  return correct / n;
}

test('LeNet reaches >= 75% test accuracy on the Fashion-MNIST subset in under a minute', (t) => {
  const train = loadImageSplit(DIR, 'train');
  const testSplit = loadImageSplit(DIR, 't10k');
  t.deepEqual(train.images.shape, [5000, 1, 28, 28]);
  t.deepEqual(testSplit.images.shape, [1000, 1, 28, 28]);
  tl.manualSeed(0);
  const model = new nn.LeNet(10);
  const opt = new optim.Adam(model.parameters(), { lr: 2e-3 });
  const start = performance.now();
  let last = 0;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const order = globalGenerator.shuffle(Int32Array.from({ length: 5000 }, (_, i) => i));
    for (let s = 0; s + BATCH <= order.length; s += BATCH) {
      last = tl.tidy(() => {
        const [x, y] = batch(train, order.subarray(s, s + BATCH));
        const loss = nn.losses.crossEntropy(model.forward(x), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return loss.item();
      });
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const acc = accuracy(model, testSplit);
  t.log(`test accuracy ${(acc * 100).toFixed(1)}% after ${EPOCHS} epochs in ${seconds.toFixed(1)} s (last batch loss ${last.toFixed(3)})`);
  t.true(acc >= 0.75, `accuracy ${acc}`);
  t.true(seconds < 60, `training took ${seconds.toFixed(1)} s`);
});
