// One rank's duplicate removal and time and stratified splits over the ranks, for
// test/sharded-input.test.ts (under mpirun): every rank builds the same shop table (a
// 'day' column with many ties, and every tenth row of the second half repeating a row of
// the first), keeps its half of the rows, runs what prepareRankShare runs (dedupe.ts,
// time-split.ts, stratified-split.ts) and writes its rows of each part by their index
// among the kept rows, the one-process answer on the whole table, and the bytes each step
// received, to <out>.rank<r>.json. Usage:
//   node --import tsx test/helpers/distributed-dedupe-split.ts <rows> <out>
import { writeFileSync } from 'node:fs';
import { distributed } from '../../src/index.js';
import { cleanTable, readCsvString, stratifiedSplit, timeSplit, type Split } from '../../src/data/index.js';
import { dedupeParts } from '../../src/distributed/dedupe.js';
import { runOnRanks } from '../../src/distributed/exchange.js';
import { stratifiedSplitParts } from '../../src/distributed/stratified-split.js';
import { timeSplitParts } from '../../src/distributed/time-split.js';
import { FEATURE_COLUMNS, TASK_COLUMNS, shopRows, toCsv, type ShopRow } from './cli-fixtures.js';

const [rowsArg, out] = process.argv.slice(2);
const { rank, worldSize } = distributed.init();
const part = { rank, size: worldSize };
const n = Number(rowsArg);
type Row = ShopRow & { serial: string; day: string };
const base: Row[] = shopRows(n, 23).map((r, i) => ({ ...r, serial: String(1000 + i), day: String((i * 7919) % Math.ceil(n / 20)) }));
const rows = base.map((r, i) => (i >= n / 2 && i % 10 === 0 ? base[i - Math.floor(n / 2)] : r));
const table = await readCsvString(toCsv(rows, ['serial', 'day', ...FEATURE_COLUMNS, ...TASK_COLUMNS] as (keyof ShopRow)[]), { name: 'shop.csv' });
const options = { validation: 0.1, test: 0.2, seed: 5 };

const mine = Int32Array.from({ length: n }, (_, i) => i).filter((i) => Math.floor((i * worldSize) / n) === rank);
const dedupe = runOnRanks(dedupeParts(table.select(mine), Float64Array.from(mine), part));
const keptRows = Int32Array.from(mine.filter((_, k) => dedupe.value.keptIndex[k] >= 0));
const kept = table.select(keptRows);
const keptIndex = dedupe.value.keptIndex.filter((k) => k >= 0);
const time = runOnRanks(timeSplitParts(kept, 'day', keptIndex, dedupe.value.totalKept, options, part));
const stratified = runOnRanks(stratifiedSplitParts(kept, 'clicked', keptIndex, options));

const byIndex = (s: Split) => Object.fromEntries((['train', 'validation', 'test'] as const).map((p) => [p, Array.from(s[p], (i) => keptIndex[i])]));
const cleaned = cleanTable(table);
const asArrays = (s: Split) => Object.fromEntries((['train', 'validation', 'test'] as const).map((p) => [p, Array.from(s[p])]));
writeFileSync(
  `${out}.rank${rank}.json`,
  JSON.stringify({
    rank,
    rows: mine.length,
    dedupe: { totalKept: dedupe.value.totalKept, duplicateRows: dedupe.value.duplicateRows, duplicateRowLines: dedupe.value.duplicateRowLines, kept: Array.from(keptRows) },
    time: { ...byIndex(time.value.split), trainPlaces: Array.from(time.value.trainPlaces) },
    stratified: byIndex(stratified.value),
    whole: {
      dedupe: { totalKept: cleaned.report.rowsOut, duplicateRows: cleaned.report.duplicateRows, duplicateRowLines: cleaned.report.duplicateRowLines, kept: Array.from(cleaned.table.lineNumbers, (line) => line - 2) },
      time: asArrays(timeSplit(cleaned.table, 'day', options)),
      stratified: asArrays(stratifiedSplit(cleaned.table, 'clicked', options)),
    },
    bytesReceived: { dedupe: dedupe.bytesReceived, time: time.bytesReceived, stratified: stratified.bytesReceived },
  }),
);
