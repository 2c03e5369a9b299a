// End to end: LeNet on the committed Fashion-MNIST subset (5,000 training images) must
// reach >= 75% accuracy on the 1,000 held-out test images (chance is 10%) within a minute.
import test from 'ava';
import { join } from 'node:path';
import * as tl from '../src/index.js';
import { nn, optim } from '../src/index.js';
import { imageBatch, loadImageSplit, splitAccuracy } from '../src/data/idx.js';
import { globalGenerator } from '../src/tensor/random.js';

const DIR = join(import.meta.dirname, '..', 'data', 'fashion-mnist-subset');
const BATCH = 64;
const EPOCHS = 6;


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
        const [x, y] = imageBatch(train, order.subarray(s, s + BATCH));
        const loss = nn.losses.crossEntropy(model.forward(x), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return loss.item();
      });
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const acc = splitAccuracy(model, testSplit);
  t.log(`test accuracy ${(acc * 100).toFixed(1)}% after ${EPOCHS} epochs in ${seconds.toFixed(1)} s (last batch loss ${last.toFixed(3)})`);
  t.true(acc >= 0.75, `accuracy ${acc}`);
  t.true(seconds < 60, `training took ${seconds.toFixed(1)} s`);
});
