// Time per training step of every built-in loss weighting, relative to equal weighting, on
// one shared-bottom model (64 inputs, trunk 256-256, three tasks: two binary, one regression; batch
// 256). The strategies that need per-task gradients pay one extra backward per task and
// the flat-gradient work on the shared parameters (~82k here); the rest cost what equal
// does. Run: npm run bench:weighting [-- --steps 40 --repeats 5]
import * as tl from '../src/index.js';
import { mtl } from '../src/index.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const steps = arg('steps', 40), repeats = arg('repeats', 5), batch = 256, d = 64;

function data(): { inputs: { x: tl.Tensor }; labels: Record<string, tl.Tensor> } {
  const gen = new tl.Generator(1);
  const n = steps * batch;
  const x = Float32Array.from({ length: n * d }, () => gen.normal());
  const a = new Float32Array(n), b = new Float32Array(n), r = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = x[i * d] + x[i * d + 1];
    a[i] = s > 0 ? 1 : 0;
    b[i] = s + 0.5 * gen.normal() > 0 ? 1 : 0;
    r[i] = 10 * x[i * d + 2] + gen.normal();
  }
  return { inputs: { x: tl.fromBuffer(x, [n, d]) }, labels: { a: tl.fromBuffer(a, [n]), b: tl.fromBuffer(b, [n]), r: tl.fromBuffer(r, [n]) } };
}

const tasks: mtl.TaskSpec[] = [{ name: 'a', type: 'binary' }, { name: 'b', type: 'binary' }, { name: 'r', type: 'regression' }];
const train = data();

/** Wall and CPU (all threads) milliseconds per step of one epoch of `steps` batches. */
function timeEpoch(weighting: string): { wall: number; cpu: number } {
  tl.manualSeed(0);
  const model = new mtl.SharedBottom({ tasks, inputDim: d, trunkHidden: [256, 256] });
  const c0 = process.cpuUsage(), t0 = performance.now();
  mtl.train(model, train, { epochs: 1, batchSize: batch, lr: 1e-3, weighting, progress: false, shuffle: false });
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / steps, cpu: (c.user + c.system) / 1000 / steps };
}

// Rounds interleave the strategies, and each keeps its best round, so a burst of load from
// other processes on a shared machine hits one round of a few strategies, not one strategy.
const names = mtl.weighting.weightingNames;
const best = new Map(names.map((n) => [n, { wall: Infinity, cpu: Infinity }]));
for (const n of names) timeEpoch(n); // warm-up
for (let round = 0; round < repeats; round++)
  for (const n of names) {
    const t = timeEpoch(n), b = best.get(n)!;
    best.set(n, { wall: Math.min(b.wall, t.wall), cpu: Math.min(b.cpu, t.cpu) });
  }
const base = best.get('equal')!;
console.log(`weighting: ms per training step (batch ${batch}, ${steps} steps, best of ${repeats} interleaved rounds), ${tl.getNumThreads()} threads`);
console.log(`${'strategy'.padEnd(14)} ${'wall ms'.padStart(8)} ${'x equal'.padStart(8)} ${'cpu ms'.padStart(8)} ${'x equal'.padStart(8)}`);
for (const n of names) {
  const t = best.get(n)!;
  console.log(`${n.padEnd(14)} ${t.wall.toFixed(2).padStart(8)} ${(t.wall / base.wall).toFixed(2).padStart(8)} ${t.cpu.toFixed(2).padStart(8)} ${(t.cpu / base.cpu).toFixed(2).padStart(8)}`);
}
