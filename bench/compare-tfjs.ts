// Side by side: trunkline's multi-task MLP training step against the same step in
// TensorFlow.js (wasm and pure-JS cpu backends), in one process, alternating.
// TensorFlow.js is never a dependency: install it into a scratch folder and point here:
//   mkdir -p /tmp/tfjs && (cd /tmp/tfjs && npm init -y && npm install @tensorflow/tfjs-core@4 @tensorflow/tfjs-backend-wasm@4 @tensorflow/tfjs-backend-cpu@4)
//   node --import tsx bench/compare-tfjs.ts /tmp/tfjs [seconds per case]
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as tl from '../src/index.js';
import { trainStepCases } from './train-steps.bench.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node --import tsx bench/compare-tfjs.ts <folder with @tensorflow/tfjs-core, -backend-wasm, -backend-cpu installed> [seconds]');
  process.exit(2);
}
const seconds = Number(process.argv[3] ?? 3);
process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
const require = createRequire(join(dir, 'package.json'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const tf: any = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-core/dist/register_all_gradients');
require('@tensorflow/tfjs-backend-cpu');
require('@tensorflow/tfjs-backend-wasm');

function time(step: () => void): number {
  for (let i = 0; i < 3; i++) step();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000 || n < 3) {
    step();
    n++;
  }
  return (performance.now() - start) / n;
}

// The same model as bench/train-steps.bench.ts (a): 256 -> 512 -> 256 (ReLU), heads 1 and 10,
// MSE + softmax cross-entropy, Adam at 1e-3, batch 512.
function tfjsStep(): () => void {
  const B = 512;
  const init = (shape: number[]) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / shape[0])));
  const zeros = (n: number) => tf.variable(tf.zeros([n]));
  const w1 = init([256, 512]), b1 = zeros(512), w2 = init([512, 256]), b2 = zeros(256);
  const wv = init([256, 1]), bv = zeros(1), wc = init([256, 10]), bc = zeros(10);
  const x = tf.randomNormal([B, 256]);
  const r = tf.randomNormal([B, 1]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: B }, (_, i) => i % 10), 'int32'), 10);
  const opt = tf.train.adam(1e-3);
  return () => {
    const cost = opt.minimize(() => {
      const h = tf.relu(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2));
      const v = tf.add(tf.matMul(h, wv), bv);
      const logits = tf.add(tf.matMul(h, wc), bc);
      const mse = tf.mean(tf.square(tf.sub(v, r)));
      const ce = tf.mean(tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1)));
      return tf.add(mse, ce);
    }, true);
    cost.dataSync();
    cost.dispose();
  };
}

const mlp = trainStepCases[0];
const results: [string, number][] = [];
for (const threads of [1, tl.getNumThreads()]) {
  tl.setNumThreads(threads);
  const state = mlp.setup();
  results.push([`trunkline, ${threads} thread(s)`, time(() => mlp.fn(state))]);
}
for (const backend of ['wasm', 'cpu']) {
  await tf.setBackend(backend);
  await tf.ready();
  results.push([`TensorFlow.js ${tf.version_core} ${backend}`, time(tfjsStep())]);
}
const base = results[0][1];
console.log(`${mlp.name}\n`);
for (const [name, ms] of results) console.log(`${name.padEnd(36)} ${ms.toFixed(2).padStart(9)} ms/step   ${(ms / base).toFixed(1)}x trunkline 1-thread time`);
