// Training-step benchmarks: one full step (forward, losses, backward, optimizer update)
// inside tidy(), as a training loop runs it.
//   (a) multi-task MLP 256-512-256 with two heads (1 and 10 outputs), MSE + cross-entropy, Adam, batch 512
//   (b) LeNet on 28x28 images, cross-entropy, Adam, batch 64
//   (c) MMoE (mtl.MMoE): 62 inputs, 4 experts 128-64, a gate per task, 3 towers of 32
//       with 1 output each, BCE each, Adam, batch 256
// Exported as a plain array of { name, setup, fn }: setup() builds the state once, fn(state)
// runs one step; bench/torch-steps.ts and bench/compare-tfjs.ts run them, and so does this
// file alone (see the end).
import * as tl from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { BenchCase } from './types.js';

export interface TrainStepCase<S> {
  name: string;
  /** Work per call, for throughput: samples per step. */
  samplesPerCall: number;
  setup(): S;
  fn(state: S): void;
}

class TwoHeadMLP extends nn.Module {
  trunk = this.registerModule('trunk', new nn.MLP(256, [512], 256));
  value = this.registerModule('value', new nn.Linear(256, 1));
  cls = this.registerModule('cls', new nn.Linear(256, 10));
  forward(x: tl.Tensor): [tl.Tensor, tl.Tensor] {
    const h = tl.relu(this.trunk.forward(x));
    return [this.value.forward(h), this.cls.forward(h)];
  }
}

export const mlpStep: TrainStepCase<{ model: TwoHeadMLP; opt: optim.Adam; x: tl.Tensor; r: tl.Tensor; y: tl.Tensor }> = {
  name: 'train step: MLP 256-512-256 + heads (1, 10), MSE + CE, Adam, batch 512',
  samplesPerCall: 512,
  setup() {
    tl.manualSeed(0);
    const model = new TwoHeadMLP();
    return {
      model,
      opt: new optim.Adam(model.parameters(), { lr: 1e-3 }),
      x: tl.randn([512, 256]).keep(),
      r: tl.randn([512, 1]).keep(),
      y: tl.randint(0, 10, [512]).keep(),
    };
  },
  fn({ model, opt, x, r, y }) {
    tl.tidy(() => {
      const [v, logits] = model.forward(x);
      const loss = tl.add(nn.losses.mse(v, r), nn.losses.crossEntropy(logits, y));
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  },
};

const lenetStep: TrainStepCase<{ model: nn.LeNet; opt: optim.Adam; x: tl.Tensor; y: tl.Tensor }> = {
  name: 'train step: LeNet 28x28, CE, Adam, batch 64',
  samplesPerCall: 64,
  setup() {
    tl.manualSeed(0);
    const model = new nn.LeNet(10);
    return { model, opt: new optim.Adam(model.parameters(), { lr: 1e-3 }), x: tl.rand([64, 1, 28, 28]).keep(), y: tl.randint(0, 10, [64]).keep() };
  },
  fn({ model, opt, x, y }) {
    tl.tidy(() => {
      const loss = nn.losses.crossEntropy(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  },
};

export const mmoeStep: TrainStepCase<{ model: tl.mtl.MMoE; opt: optim.Adam; x: tl.Tensor; ys: tl.Tensor[] }> = {
  name: 'train step: MMoE 62 in, 4 experts 128-64, 3 towers 32-1, BCE, Adam, batch 256',
  samplesPerCall: 256,
  setup() {
    tl.manualSeed(0);
    const tasks = ['t0', 't1', 't2'].map((name) => ({ name, type: 'binary' as const, towerHidden: [32] }));
    const model = new tl.mtl.MMoE({ inputDim: 62, numExperts: 4, expertHidden: [128, 64], tasks });
    return {
      model,
      opt: new optim.Adam(model.parameters(), { lr: 1e-3 }),
      x: tl.randn([256, 62]).keep(),
      ys: tasks.map(() => tl.randint(0, 2, [256]).float().keep()),
    };
  },
  fn({ model, opt, x, ys }) {
    tl.tidy(() => {
      const out = model.forward(x);
      let loss = nn.losses.bceWithLogits(out.t0, ys[0]);
      loss = tl.add(loss, nn.losses.bceWithLogits(out.t1, ys[1]));
      loss = tl.add(loss, nn.losses.bceWithLogits(out.t2, ys[2]));
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const trainStepCases: TrainStepCase<any>[] = [mlpStep, lenetStep, mmoeStep];
export default trainStepCases;

/** Runs the cases standalone: npx tsx bench/train-steps.bench.ts [seconds per case]. */
export function runTrainStepBench(secondsPerCase = 3): { name: string; msPerStep: number; samplesPerSec: number }[] {
  const results = [];
  for (const c of trainStepCases) {
    const state = c.setup();
    for (let i = 0; i < 3; i++) c.fn(state); // warm-up
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < secondsPerCase * 1000) {
      c.fn(state);
      n++;
    }
    const ms = (performance.now() - start) / n;
    results.push({ name: c.name, msPerStep: ms, samplesPerSec: (c.samplesPerCall * 1000) / ms });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of runTrainStepBench(Number(process.argv[2] ?? 3)))
    console.log(`${r.name}: ${r.msPerStep.toFixed(2)} ms/step, ${Math.round(r.samplesPerSec)} samples/s (${tl.getNumThreads()} threads)`);
}

// The suite's view of these cases (bench/index.ts): one training step per call, with the
// matmul/conv FLOPs of forward + backward so the table shows a share of the FMA peak.
// Backward is the weight gradients (as many FLOPs as forward) plus the input gradients
// of every layer but the first (whose input needs none).
const mlpForward = 2 * 512 * (256 * 512 + 512 * 256 + 256 * 11);
const mlpFlops = 2 * mlpForward + 2 * 512 * (512 * 256 + 256 * 11);
const lenetConv1 = 2 * 64 * 6 * 25 * 28 * 28;
const lenetForward = lenetConv1 + 2 * 64 * (16 * 6 * 25 * 10 * 10 + 400 * 120 + 120 * 84 + 84 * 10);
const lenetFlops = 3 * lenetForward - lenetConv1;
const mmoeForward = 2 * 256 * (4 * (62 * 128 + 128 * 64) + 3 * (62 * 4 + 64 * 32 + 32));
const mmoeFirst = 2 * 256 * (4 * 62 * 128 + 3 * 62 * 4); // layers on the input: no input gradient
const mmoeFlops = 3 * mmoeForward - mmoeFirst;
const caseFlops = [mlpFlops, lenetFlops, mmoeFlops];
export const cases: BenchCase[] = trainStepCases.map((c, i) => ({
  group: 'train',
  name: c.name.replace(/^train step: /, ''),
  flops: caseFlops[i],
  setup: () => {
    const state = c.setup();
    return () => c.fn(state);
  },
}));
