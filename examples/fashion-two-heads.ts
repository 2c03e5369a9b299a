// The seed design on images: one shared LeNet-style convolutional trunk with two heads on
// Fashion-MNIST, the fine category (10 classes) and the coarse group (4 classes), against
// one single-task net per task with the same trunk. Prints test accuracy per task and
// setup, and training throughput.
//
//   npx tsx examples/fashion-two-heads.ts [--data DIR] [--epochs 8] [--batch 64] [--lr 0.002] [--seed 0] [--threads N]
//
// Data: the committed subset data/fashion-mnist-subset (5,000 train / 1,000 test images)
// unless --data names a directory with the full set (e.g. /usr/share/datasets/fashion-mnist).
// Fashion-MNIST is (c) Zalando SE, MIT licence.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tl from 'trunkline';
import { mtl, nn, data } from 'trunkline';
const { loadImageSplit } = data;

const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    epochs: { type: 'string', default: '8' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.002' },
    seed: { type: 'string', default: '0' },
    threads: { type: 'string' },
  },
});
if (args.threads) tl.setNumThreads(Number(args.threads));
const dir = args.data ?? join(import.meta.dirname, '..', 'data', 'fashion-mnist-subset');
const epochs = Number(args.epochs);
const batchSize = Number(args.batch);
const lr = Number(args.lr);
const seed = Number(args.seed);

const FINE = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const COARSE = ['tops', 'bottoms & dresses', 'footwear', 'bags'];
// Fine class id -> coarse group id.
const COARSE_OF = Int32Array.from([0, 1, 0, 1, 0, 2, 0, 2, 3, 2]);

/** A split as the trainer's tensor data: images [N, 1, 28, 28] and both labels. */
function asTaskData(prefix: string): mtl.TensorData {
  const split = loadImageSplit(dir, prefix);
  const fine = split.labels.data() as Int32Array;
  const coarse = Int32Array.from(fine, (k) => COARSE_OF[k]);
  return { inputs: { image: split.images }, labels: { fine: split.labels, coarse: tl.fromBuffer(coarse, [coarse.length]) } };
}

/** Passes the image batch through unchanged: the conv trunk reads [B, 1, 28, 28] itself. */
class ImageInput extends nn.Module {
  forward(inputs: Record<string, tl.Tensor>): tl.Tensor {
    return inputs.image;
  }
}

const TRUNK_DIM = 84;
/** LeNet's layers up to its last hidden layer: [B, 1, 28, 28] -> [B, 84]. */
function convTrunk(): nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(1, 6, 5, { padding: 2 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(6, 16, 5),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(16 * 5 * 5, 120),
    new nn.ReLU(),
    new nn.Linear(120, TRUNK_DIM),
    new nn.ReLU(),
  );
}

const TASKS: Record<string, mtl.TaskSpec> = {
  fine: { name: 'fine', type: 'multiclass', numClasses: FINE.length, towerHidden: [] },
  coarse: { name: 'coarse', type: 'multiclass', numClasses: COARSE.length, towerHidden: [] },
};

function build(tasks: string[]): mtl.SharedBottom {
  tl.manualSeed(seed);
  return new mtl.SharedBottom({ tasks: tasks.map((t) => TASKS[t]), encoder: new ImageInput(), inputDim: 28 * 28, trunk: convTrunk(), trunkDim: TRUNK_DIM });
}

interface Outcome {
  accuracy: Record<string, number>;
  imagesPerSecond: number;
  seconds: number;
  params: number;
}

function run(label: string, tasks: string[], train: mtl.TensorData, test: mtl.TensorData): Outcome {
  const model = build(tasks);
  console.log(`\n${label}: tasks ${tasks.join(' + ')}, ${model.numParameters()} parameters`);
  const t0 = performance.now();
  const history = mtl.train(model, train, { epochs, batchSize, lr, seed, tasks, weighting: 'equal', conflictEvery: tasks.length > 1 ? 20 : 0 });
  const seconds = (performance.now() - t0) / 1000;
  const result = mtl.evaluate(model, test, { batchSize: 1000 });
  const accuracy: Record<string, number> = {};
  for (const t of tasks) accuracy[t] = result.metrics[t].accuracy;
  if (tasks.includes('fine')) accuracy['coarse via fine'] = coarseFromFine(model, test);
  const cos = history.epochs.flatMap((e) => e.gradientCosines ?? []);
  if (cos.length) console.log(`  gradient cosine fine vs coarse on the trunk: ${(cos.reduce((s, c) => s + c.mean, 0) / cos.length).toFixed(3)} (mean over epochs)`);
  return { accuracy, imagesPerSecond: (epochs * (train.labels.fine.shape[0] as number)) / seconds, seconds, params: model.numParameters() };
}

/** The coarse group read off the fine head (argmax, then the group map): what the fine head knows for free. */
function coarseFromFine(model: mtl.MultiTaskModel, test: mtl.TensorData): number {
  const n = test.labels.coarse.shape[0];
  const truth = test.labels.coarse.data() as Int32Array;
  let correct = 0;
  for (let s = 0; s < n; s += 1000) {
    const m = Math.min(1000, n - s);
    const idx = tl.fromBuffer(Int32Array.from({ length: m }, (_, i) => s + i), [m]);
    const p = mtl.predict(model, { image: tl.indexSelect(test.inputs.image, 0, idx) }).fine;
    idx.dispose();
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let k = 1; k < 10; k++) if (p[i * 10 + k] > p[i * 10 + best]) best = k;
      if (COARSE_OF[best] === truth[s + i]) correct++;
    }
  }
  return correct / n;
}

const train = asTaskData('train');
const test = asTaskData('t10k');
console.log(
  `data: ${dir} (${train.labels.fine.shape[0]} train, ${test.labels.fine.shape[0]} test), ${tl.getNumThreads()} threads, ` +
    `${epochs} epochs, batch ${batchSize}, Adam lr ${lr}, seed ${seed}`,
);
console.log(`coarse groups: ${COARSE.map((g, i) => `${g} {${FINE.filter((_, k) => COARSE_OF[k] === i).join(', ')}}`).join('; ')}`);

const pair = run('two heads (shared trunk)', ['fine', 'coarse'], train, test);
const fineOnly = run('single-task fine', ['fine'], train, test);
const coarseOnly = run('single-task coarse', ['coarse'], train, test);

const nTest = test.labels.fine.shape[0];
const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);
const rows: string[][] = [
  ['two heads (shared trunk)', pct(pair.accuracy.fine), pct(pair.accuracy.coarse), pct(pair.accuracy['coarse via fine']), String(pair.params), pair.imagesPerSecond.toFixed(0), pair.seconds.toFixed(1)],
  ['single-task fine', pct(fineOnly.accuracy.fine), '-', pct(fineOnly.accuracy['coarse via fine']), String(fineOnly.params), fineOnly.imagesPerSecond.toFixed(0), fineOnly.seconds.toFixed(1)],
  ['single-task coarse', '-', pct(coarseOnly.accuracy.coarse), '-', String(coarseOnly.params), coarseOnly.imagesPerSecond.toFixed(0), coarseOnly.seconds.toFixed(1)],
  [
    'two single-task nets',
    pct(fineOnly.accuracy.fine),
    pct(coarseOnly.accuracy.coarse),
    '-',
    String(fineOnly.params + coarseOnly.params),
    ((epochs * train.labels.fine.shape[0]) / (fineOnly.seconds + coarseOnly.seconds)).toFixed(0),
    (fineOnly.seconds + coarseOnly.seconds).toFixed(1),
  ],
];
const header = ['setup', 'fine acc', 'coarse acc', 'coarse via fine head', 'parameters', 'train images/s', 'train s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`\nTest accuracy (${test.labels.fine.shape[0]} images):\n`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
console.log(
  `\nΔ two heads vs single-task: fine ${((pair.accuracy.fine - fineOnly.accuracy.fine) * 100).toFixed(2)} points, ` +
    `coarse ${((pair.accuracy.coarse - coarseOnly.accuracy.coarse) * 100).toFixed(2)} points ` +
    `(one seed; on ${nTest} test images, differences under about ${noisePoints(fineOnly.accuracy.fine).toFixed(1)} points (fine) ` +
    `and ${noisePoints(coarseOnly.accuracy.coarse).toFixed(1)} points (coarse) are within noise).`,
);

/** Two standard errors of a difference between two accuracies near p on nTest images, in points. */
function noisePoints(p: number): number {
  return 200 * Math.sqrt((2 * p * (1 - p)) / nTest);
}
