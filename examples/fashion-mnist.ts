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
import * as tl from 'trunkline';
import { nn, optim, data, globalGenerator } from 'trunkline';
const { imageBatch, loadImageSplit, splitAccuracy } = data;

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
      const [x, y] = imageBatch(train, order.subarray(s * batchSize, (s + 1) * batchSize));
      const loss = nn.losses.crossEntropy(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return loss.item();
    });
    schedule.step();
  }
  const seconds = (performance.now() - start) / 1000;
  const acc = splitAccuracy(model, test, 1000);
  best = Math.max(best, acc);
  console.log(
    `epoch ${epoch}: loss ${(lossSum / stepsPerEpoch).toFixed(4)}, test accuracy ${(acc * 100).toFixed(2)}%, ` +
      `${Math.round((stepsPerEpoch * batchSize) / seconds)} images/s (${seconds.toFixed(1)} s)`,
  );
}
console.log(`final test accuracy ${(splitAccuracy(model, test, 1000) * 100).toFixed(2)}% (best ${(best * 100).toFixed(2)}%)`);
