// One rank's data step for test/sharded-input.test.ts (under mpirun) and its single-process
// reference: runs the CLI's prepareData on a job and writes what the rank read, its rows
// and the fitted pipeline to <out>.rank<r>.json. Usage:
//   node --import tsx test/helpers/distributed-prepare.ts <job.json> <data path> <out> [split kind[:column]]
import { readFileSync, writeFileSync } from 'node:fs';
import { distributed } from '../../src/index.js';
import { parseJobConfig } from '../../src/cli/config.js';
import { prepareData } from '../../src/cli/prepare.js';
import { DataLoader, type EncodedDataset } from '../../src/data/index.js';

const [jobFile, dataPath, out, splitKind] = process.argv.slice(2);
const { rank, worldSize } = distributed.init();
const raw = JSON.parse(readFileSync(jobFile, 'utf8'));
const [kind, column = kind === 'stratified' ? 'clicked' : undefined] = splitKind?.split(':') ?? [];
raw.data = { ...raw.data, path: dataPath, ...(kind ? { split: { kind, ...(column ? { column } : {}) } } : {}) };
const config = parseJobConfig(raw, jobFile);
const p = await prepareData(config, 1);

// The rows a training loader yields in one epoch, by their 'serial' feature (a unique
// integer per row, recovered from its scaled value).
function serials(data: EncodedDataset): number[] {
  const f = p.pipeline.features.find((x) => x.name === 'serial');
  if (!f || f.kind !== 'numeric') return [];
  const out: number[] = [];
  for (const batch of new DataLoader(data, { batchSize: 64, shuffle: true, seed: 3 })) {
    const v = batch.inputs.serial.data() as Float32Array;
    for (const x of v) out.push(Math.round(x * f.divisor + f.center));
  }
  return out.sort((a, b) => a - b);
}

writeFileSync(
  `${out}.rank${rank}.json`,
  JSON.stringify({
    rank,
    worldSize,
    read: p.rankShare ? { mode: p.rankShare.mode, files: p.rankShare.files, rows: p.rankShare.rowsRead } : null,
    rows: p.rankShare?.rows ?? { train: p.train.numRows, validation: p.validation.numRows, test: p.test.numRows },
    duplicateRows: p.cleaning.duplicateRows,
    badRows: p.badRows,
    train: serials(p.train),
    validation: serials(p.validation),
    test: serials(p.test),
    pipeline: p.pipeline.toJSON(),
    warnings: p.warnings,
  }),
);
