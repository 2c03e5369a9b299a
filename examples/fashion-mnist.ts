// Fashion-MNIST with a LeNet-style network: trains on the full 60,000 images and prints
// test accuracy and throughput after every epoch.
//
//   npx tsx examples/fashion-mnist.ts [--data DIR] [--epochs 10] [--batch 64] [--lr 0.002] [--threads N]
//
// Data: --data DIR, else /usr/share/datasets/fashion-mnist (apt-get install
// dataset-fashion-mnist), else ../shared/data/fashion-mnist, else the committed subset in
// data/fashion-mnist-subset (5,000 / 1,000 images). Fashion-MNIST is (c) Zalando SE, MIT licence.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tl from '../src/index.js';
import { nn, optim } from '../src/index.js';
import { loadImageSplit, type ImageSplit } from '../src/data/idx.js';
import { globalGenerator } from '../src/tensor/random.js';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    epochs: { type: 'string', default: '10' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.002' },
    threads: { type: 'string' },
    seed: { type: 'string', default: '0' },
  },
});

const root = join(import.meta.dirname, '..');
const candidates = [args.data, '/usr/share/datasets/fashion-mnist', join(root, '..', 'shared', 'data', 'fashion-mnist'), join(root, 'data', 'fashion-mnist-subset')];
const dir = candidates.find((d) => d && (existsSync(join(d, 'train-labels-idx1-ubyte.gz')) || existsSync(join(d, 'train-labels-idx1-ubyte'))));
if (!dir) throw new Error(`no Fashion-MNIST files found in ${candidates.filter(Boolean).join(', ')}`);
if (args.threads) tl.setNumThreads(Number(args.threads));

const epochs = Number(args.epochs);
const batchSize = Number(args.batch);
const train = loadImageSplit(dir, 'train');
const test = loadImageSplit(dir, 't10k');
const nTrain = train.labels.size;
console.log(`data: ${dir} (${nTrain} train, ${test.labels.size} test), ${tl.getNumThreads()} threads, batch ${batchSize}, ${epochs} epochs`);

/** Rows `idx` of a split as a batch. */
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
  for (let s = 0; s < n; s += 1000) {
    const idx = Array.from({ length: Math.min(1000, n - s) }, (_, i) => s + i);
    correct += tl.tidy(() =>
      tl.noGrad(() => {
        const [x, y] = batch(split, idx);
        const pred = tl.argmax(model.forward(x), 1).data();
        const yd = y.data();
        return idx.reduce((c, _, i) => c + (pred[i] === yd[i] ? 1 : 0), 0);
      }),
    );
  }
  model.train();
  return correct / n;
}

tl.manualSeed(Number(args.seed));
const model = new nn.LeNet(10);
console.log(model.toString());
const opt = new optim.Adam(model.parameters(), { lr: Number(args.lr) });
const stepsPerEpoch = Math.floor(nTrain / batchSize);
const schedule = new optim.CosineAnnealingLR(opt, { tMax: epochs * stepsPerEpoch, etaMin: Number(args.lr) * 0.05 });

let best = 0;
for (let epoch = 1; epoch <= epochs; epoch++) {
  const order = globalGenerator.shuffle(Int32Array.from({ length: nTrain }, (_, i) => i));
  const start = performance.now();
  let lossSum = 0;
  for (let s = 0; s < stepsPerEpoch; s++) {
    lossSum += tl.tidy(() => {
      const [x, y] = batch(train, order.subarray(s * batchSize, (s + 1) * batchSize));
      const loss = nn.losses.crossEntropy(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return loss.item();
    });
    schedule.step();
  }
  const seconds = (performance.now() - start) / 1000;
  const acc = accuracy(model, test);
  best = Math.max(best, acc);
  console.log(
    `epoch ${epoch}: loss ${(lossSum / stepsPerEpoch).toFixed(4)}, test accuracy ${(acc * 100).toFixed(2)}%, ` +
      `${Math.round((stepsPerEpoch * batchSize) / seconds)} images/s (${seconds.toFixed(1)} s)`,
  );
}
console.log(`final test accuracy ${(accuracy(model, test) * 100).toFixed(2)}% (best ${(best * 100).toFixed(2)}%)`);
