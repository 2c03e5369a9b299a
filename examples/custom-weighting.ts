// A research script: write a loss-weighting strategy in a few lines against the public
// interface, then compare it with the built-in ones on a synthetic problem where the tasks
// compete for a narrow shared layer. Run: npx tsx examples/custom-weighting.ts
import { mtl, metrics, manualSeed, fromBuffer, nn, type Tensor } from 'trunkline';
const { Linear } = nn;

// ---- 1. The strategy: Random Loss Weighting (Lin et al. 2022) -----------------------
// Each step draws weights softmax(z), z ~ N(0, 1), scaled to sum to the number of tasks.
// trunkline ships it as 'rlw'; it is written by hand here because it fits in a few lines.
const randomLossWeighting: mtl.LossWeighting = {
  name: 'random (custom)',
  combine({ losses }) {
    const z = losses.map(() => Math.exp(Math.sqrt(-2 * Math.log(Math.random() + 1e-12)) * Math.cos(2 * Math.PI * Math.random())));
    const weights = z.map((v) => (v * losses.length) / z.reduce((a, b) => a + b, 0));
    return { loss: mtl.weighting.weightedSum(losses, weights), weights };
  },
};

// ---- 2. A synthetic problem with a known answer ---------------------------------------
// click and like share the signal x0; price (scale 10, noisy) depends on x1 only. The trunk
// has one unit, so the tasks must share it: a plain sum lets price's big loss take it.
function makeData(n: number, seed: number): { inputs: Record<string, Tensor>; labels: Record<string, Tensor> } {
  let s = seed;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const d = 4, x = new Float32Array(n * d), click = new Float32Array(n), like = new Float32Array(n), price = new Float32Array(n);
  for (let i = 0; i < x.length; i++) x[i] = gauss();
  for (let i = 0; i < n; i++) {
    const v = x.subarray(i * d, i * d + d);
    click[i] = v[0] + 0.2 * gauss() > 0 ? 1 : 0;
    like[i] = v[0] + 0.3 * v[2] + 0.2 * gauss() > 0 ? 1 : 0;
    price[i] = 10 * v[1] + 10 * gauss();
  }
  return { inputs: { x: fromBuffer(x, [n, d]) }, labels: { click: fromBuffer(click, [n]), like: fromBuffer(like, [n]), price: fromBuffer(price, [n]) } };
}
const train = makeData(2000, 1), val = makeData(1000, 2);
const tasks: mtl.TaskSpec[] = [
  { name: 'click', type: 'binary', metrics: ['auc'] },
  { name: 'like', type: 'binary', metrics: ['auc'] },
  // trunkline standardises regression targets by default, which alone removes most of the
  // scale conflict; `target: null` keeps price raw so the strategies have one to resolve.
  { name: 'price', type: 'regression', metrics: ['rmse'], target: null },
];

function run(weighting: mtl.LossWeighting | string, taskSubset = tasks): mtl.History {
  manualSeed(0);
  const model = new mtl.SharedBottom({ tasks: taskSubset, inputDim: 4, trunk: new Linear(4, 1), trunkDim: 1 });
  return mtl.train(model, train, { epochs: 8, batchSize: 64, lr: 0.03, weightingLr: 0.1, weighting, validation: val, progress: false });
}

// ---- 3. Single-task baselines, then every strategy --------------------------------------
const single: metrics.TaskMetrics = {};
for (const t of tasks) single[t.name] = run('fixed', [t]).epochs.at(-1)!.validation!.metrics[t.name];

const strategies: (mtl.LossWeighting | string)[] = ['fixed', 'mean', 'max', 'uncertainty', 'gradnorm', 'dwa', 'pcgrad', randomLossWeighting];
const rows: string[][] = [];
for (const s of strategies) {
  const h = run(s);
  const last = h.epochs.at(-1)!;
  const m = last.validation!.metrics;
  const gain = metrics.multiTaskGain(m, single);
  const conflict = last.gradientCosines.find((c) => c.a === 'click' && c.b === 'price');
  rows.push([
    h.weighting,
    m.click.auc.toFixed(3),
    m.like.auc.toFixed(3),
    m.price.rmse.toFixed(2),
    `${gain.deltaM >= 0 ? '+' : ''}${gain.deltaM.toFixed(1)}%`,
    Object.values(last.weights).map((w) => w.toFixed(2)).join('/'),
    conflict ? conflict.mean.toFixed(2) : '-',
  ]);
}

const header = ['strategy', 'click AUC', 'like AUC', 'price RMSE', 'Δm vs single', 'mean weights', 'cos(click,price)'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log(`single-task: click AUC ${single.click.auc.toFixed(3)}, like AUC ${single.like.auc.toFixed(3)}, price RMSE ${single.price.rmse.toFixed(2)}`);
console.log(line(header));
for (const r of rows) console.log(line(r));
