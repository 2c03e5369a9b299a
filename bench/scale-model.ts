// The cost model of docs/distributed.md ("At scale, on paper"): a data-parallel step's
// time on W machines (one rank each) is this machine's measured compute step plus an
// all-reduce of the gradients over the network, which is not overlapped with compute:
//
//   step(W) = compute + allReduce(W),  allReduce(W) = 2 log2(W) alpha + 2 (W - 1) / W * S / B
//
// (recursive halving and doubling, as MPI libraries use for large messages: log2 W
// latency steps each way, and each rank sends and receives 2 (W - 1) / W of the S
// gradient bytes over a link of B bytes/s). Compute is measured here, per step at batch
// 256 per rank, for the README's Bank MMoE and for the same model with a 10M-parameter
// embedding (1.25M ids x 8; its gradient is dense, so S = 40 MB). The network figures are
// the links' line rates with a per-message latency, stated below, not measurements.
//   node --import tsx bench/scale-model.ts
import { cpus } from 'node:os';
import { getNumThreads, manualSeed, mtl } from '../src/index.js';
import { DataLoader, type EncodedDataset } from '../src/data/index.js';
import { buildModel } from '../src/cli/models.js';
import { defaultConfig } from '../src/cli/config.js';
import { prepareData } from '../src/cli/prepare.js';

const BATCH = 256;
const EMBEDDING_IDS = 1_250_000;
const NETWORKS = [
  { name: '10 Gb/s', bytesPerSecond: 1.25e9, alpha: 25e-6 },
  { name: '100 Gb/s', bytesPerSecond: 12.5e9, alpha: 5e-6 },
];
const MACHINES = [1, 2, 4, 8, 16, 32, 64];

const config = defaultConfig();
const prepared = await prepareData(config, 1);

/** The training rows with one more categorical feature: a user id drawn uniformly from EMBEDDING_IDS. */
function withUserIds(data: EncodedDataset): EncodedDataset {
  let s = 12345;
  const ids = Int32Array.from({ length: data.numRows }, () => 1 + ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % (EMBEDDING_IDS - 1)));
  return {
    ...data,
    features: { ...data.features, user: { kind: 'categorical', ids } },
    featureSpecs: [...data.featureSpecs, { name: 'user', kind: 'categorical', cardinality: EMBEDDING_IDS }],
  };
}

/** Milliseconds per training step (median of 3 one-epoch runs, without validation) and the parameter count. */
function stepMs(data: EncodedDataset): { ms: number; parameters: number } {
  manualSeed(1);
  const model = buildModel('mmoe', data.featureSpecs, data.taskSpecs, config);
  const steps = Math.floor(data.numRows / BATCH);
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    const loader = new DataLoader(data, { batchSize: BATCH, shuffle: true, seed: round, dropLast: true });
    const t0 = performance.now();
    // No gradient-conflict sampling: it adds a backward per task on the sampled steps.
    mtl.train(model, loader, { epochs: 1, progress: false, conflictEvery: 0, tasks: model.tasks.map((t) => t.name) });
    times.push((performance.now() - t0) / steps);
  }
  times.sort((a, b) => a - b);
  return { ms: times[1], parameters: model.numParameters() };
}

const models = [
  { name: 'Bank MMoE', ...stepMs(prepared.train) },
  { name: 'MMoE + 10M-parameter embedding', ...stepMs(withUserIds(prepared.train)) },
];

const allReduceMs = (bytes: number, w: number, net: (typeof NETWORKS)[number]): number =>
  w === 1 ? 0 : (2 * Math.log2(w) * net.alpha + ((2 * (w - 1)) / w) * (bytes / net.bytesPerSecond)) * 1e3;

console.log(`compute per step at batch ${BATCH}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${getNumThreads()} threads:`);
for (const m of models) console.log(`  ${m.name}: ${m.parameters.toLocaleString('en')} parameters, gradient ${(m.parameters * 4 / 1e6).toFixed(2)} MB, ${m.ms.toFixed(2)} ms`);
for (const m of models) {
  const bytes = m.parameters * 4;
  console.log(`\n${m.name}: ms per step (all-reduce share) and speed-up over one machine, by machines`);
  console.log(`| machines | ${NETWORKS.map((n) => `${n.name}: step | speed-up`).join(' | ')} |`);
  console.log(`|---:|${NETWORKS.map(() => '---:|---:').join('|')}|`);
  for (const w of MACHINES) {
    const cells = NETWORKS.map((net) => {
      const ar = allReduceMs(bytes, w, net);
      const step = m.ms + ar;
      return `${step.toFixed(2)} (${((100 * ar) / step).toFixed(0)}%) | ${((w * m.ms) / step).toFixed(1)}x`;
    });
    console.log(`| ${w} | ${cells.join(' | ')} |`);
  }
  for (const net of NETWORKS) {
    const over = MACHINES.find((w) => allReduceMs(bytes, w, net) > m.ms);
    console.log(`${net.name}: the all-reduce ${over ? `overtakes compute at ${over} machines` : 'stays below compute up to 64 machines'}`);
  }
}
