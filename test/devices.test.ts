// Layers, an optimizer and the multi-task trainer, defined once and run on every
// available device (the CUDA variants skip, saying why, without a GPU).
import test from 'ava';
import * as tl from '../src/index.js';
import { mtl, nn, optim } from '../src/index.js';
import { GPU, forEachDevice } from './helpers/devices.js';
import { native } from '../src/native.js';

/** Five Adam steps of a small net with an embedding, batch norm and dropout off. */
function trainLosses(device: tl.Device): number[] {
  tl.manualSeed(3);
  const emb = new nn.Embedding(7, 4);
  const body = new nn.Sequential(new nn.Linear(4 + 3, 16), new nn.BatchNorm1d(16), new nn.GELU(), new nn.Linear(16, 2));
  emb.to(device);
  body.to(device);
  const opt = new optim.Adam([...emb.parameters(), ...body.parameters()], { lr: 0.05 });
  const ids = tl.tensor(Int32Array.from({ length: 32 }, (_, i) => i % 7), [32], { device });
  const num = tl.randn([32, 3]).to(device);
  const labels = tl.tensor(Int32Array.from({ length: 32 }, (_, i) => (i % 7 > 3 ? 1 : 0)), [32], { device });
  const losses: number[] = [];
  for (let step = 0; step < 5; step++)
    tl.tidy(() => {
      const x = tl.concat([emb.forward(ids), num], 1);
      const loss = tl.crossEntropy(body.forward(x), labels);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      losses.push(loss.item());
    });
  return losses;
}

forEachDevice(test, 'layers and Adam give the CPU losses step by step', (t, device) => {
  const cpu = trainLosses('cpu');
  const here = trainLosses(device);
  // Tolerance 1e-4 relative: float32 sums reduce in a different order on the GPU.
  here.forEach((l, i) => t.true(Math.abs(l - cpu[i]) <= 1e-4 * Math.max(1, Math.abs(cpu[i])), `step ${i}: ${l} vs cpu ${cpu[i]}`));
  t.true(here[4] < here[0], `loss falls (${here[0]} -> ${here[4]})`);
});

forEachDevice(test, 'an MMoE trains through mtl.train and beats the trivial baseline', (t, device) => {
  tl.manualSeed(5);
  const n = 256;
  const x = tl.randn([n, 6]);
  const xs = x.data();
  const click = tl.tensor(Float32Array.from({ length: n }, (_, i) => (xs[i * 6] + xs[i * 6 + 1] > 0 ? 1 : 0)), [n]);
  const score = tl.tensor(Float32Array.from({ length: n }, (_, i) => xs[i * 6 + 2] - xs[i * 6 + 3]), [n]);
  const data = { inputs: { x: x.to(device) }, labels: { click: click.to(device), score: score.to(device) } };
  const model = new mtl.MMoE({ tasks: [{ name: 'click', type: 'binary' }, { name: 'score', type: 'regression' }], inputDim: 6, numExperts: 3, expertHidden: [16] });
  model.to(device);
  mtl.train(model, data, { epochs: 15, batchSize: 64, lr: 0.02, progress: false });
  const result = mtl.evaluate(model, data);
  // Trivial baselines: AUC 0.5; RMSE of predicting the mean ~ std of the score (~1.4).
  t.true(result.metrics.click.auc > 0.9, `click AUC ${result.metrics.click.auc}`);
  t.true(result.metrics.score.rmse < 0.7, `score RMSE ${result.metrics.score.rmse}`);
});

test('the CUDA device in use: counted, chosen before first use, and a device that cannot be used is an error naming why', (t) => {
  const count = native.cuda_deviceCount();
  if (!GPU) {
    t.is(count, 0);
    t.throws(() => native.cuda_selectDevice(0), { message: /cuda: (cannot use device 0|this build of trunkline has no CUDA)/ });
    return;
  }
  t.true(count >= 1);
  t.throws(() => native.cuda_selectDevice(count), { message: new RegExp(`cannot use device ${count}: device ${count} does not exist`) });
  tl.zeros([1], { device: 'cuda' }).dispose();
  const current = native.cuda_currentDevice();
  t.true(native.cuda_selectDevice(current), 'the device in use');
  if (count > 1) t.false(native.cuda_selectDevice((current + 1) % count), 'another device, once one is in use');
});
