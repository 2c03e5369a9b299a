// One rank of a data-parallel training run, for test/distributed.test.ts (under mpirun) and
// for its single-process reference. Writes the trained parameters and the last validation
// metrics to <out>.rank<r>.json. Usage:
//   node --import tsx test/helpers/distributed-train.ts <arch> <batch> <epochs> <out> [kill|throw <rank> <step>]
// 320 rows: at batch 32 in one process, or 16 on each of 2 ranks, an epoch is 10 steps.
import { writeFileSync } from 'node:fs';
import { distributed, manualSeed, mtl, type Device, type Tensor } from '../../src/index.js';
import { sharedSignal } from './mtl-synthetic.js';

const [arch, batch, epochs, out, failure, failRank, failStep] = process.argv.slice(2);
const { rank } = distributed.init();

// Each rank starts from different weights: training must broadcast rank 0's.
manualSeed(rank === 0 ? 7 : 1000 + rank);
const tasks: mtl.TaskSpec[] = [
  { name: 'a', type: 'binary', towerHidden: [4] },
  { name: 'r', type: 'regression', towerHidden: [4] },
];
const model =
  arch === 'mmoe'
    ? new mtl.MMoE({ tasks, inputDim: 6, numExperts: 3, expertHidden: [8] })
    : new mtl.SharedBottom({ tasks, inputDim: 6, trunkHidden: [16] });

const device = (process.env.TRUNKLINE_TEST_DEVICE ?? 'cpu') as Device;
model.to(device);
const onDevice = ({ inputs, labels }: { inputs: Record<string, Tensor>; labels: Record<string, Tensor> }) => ({
  inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.to(device)])),
  labels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, v.to(device)])),
});

const started = performance.now();
const history = mtl.train(model, onDevice(sharedSignal(320, 1).tensors()), {
  distributed: true,
  epochs: Number(epochs),
  batchSize: Number(batch),
  lr: 0.01,
  weighting: process.env.TRUNKLINE_TEST_WEIGHTING ?? 'uncertainty',
  seed: 5,
  validation: onDevice(sharedSignal(200, 2).tensors()),
  earlyStopping: { metric: 'auc', monitor: 'a', patience: 100 },
  progress: false,
  callbacks: {
    onBatchEnd(step) {
      if (!failure || rank !== Number(failRank) || step.step !== Number(failStep)) return;
      if (failure === 'kill') process.kill(process.pid, 'SIGKILL');
      throw new Error(`rank ${rank} fails on purpose at step ${step.step}`);
    },
  },
});

const last = history.epochs.at(-1)!;
writeFileSync(
  `${out}.rank${rank}.json`,
  JSON.stringify({
    worldSize: distributed.worldSize(),
    steps: history.epochs.length * (last.samples ? Math.round(320 / Number(batch) / distributed.worldSize()) : 0),
    seconds: (performance.now() - started) / 1000,
    validation: last.validation,
    params: Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, Array.from(v.data())])),
  }),
);
