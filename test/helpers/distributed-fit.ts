// One rank's fit of the feature pipeline from statistics merged across ranks, for
// test/sharded-input.test.ts (under mpirun): every rank builds the same shop table, keeps
// its share of the rows ('halves': contiguous, 'alternate': every other row), fits with
// FeaturePipeline.fitParts over rankParts (what prepareRankShare does) and writes the
// pipeline, the single-process fit of the whole table, and the bytes the fit received, to
// <out>.rank<r>.json. Usage:
//   node --import tsx test/helpers/distributed-fit.ts <rows> <halves|alternate> <out>
import { writeFileSync } from 'node:fs';
import { distributed } from '../../src/index.js';
import { FeaturePipeline, readCsvString, type FitOptions } from '../../src/data/index.js';
import { rankParts } from '../../src/distributed/sharded-input.js';
import { FEATURE_COLUMNS, TASK_COLUMNS, shopRows, toCsv, type ShopRow } from './cli-fixtures.js';

const [rowsArg, layout, out] = process.argv.slice(2);
const { rank, worldSize } = distributed.init();
const n = Number(rowsArg);
const rows = shopRows(n, 21).map((r, i) => ({ ...r, serial: String(1000 + i) }));
const table = await readCsvString(toCsv(rows, ['serial', ...FEATURE_COLUMNS, ...TASK_COLUMNS] as (keyof ShopRow)[]), { name: 'shop.csv' });
const options: FitOptions = {
  tasks: [
    { name: 'clicked', type: 'binary' },
    { name: 'segment', type: 'multiclass' },
    { name: 'spend', type: 'regression', transform: 'log1p' },
  ],
  features: [
    { name: 'serial', kind: 'numeric' },
    { name: 'age', kind: 'numeric', fill: 'median' },
    { name: 'age_range', column: 'age', kind: 'numeric', scale: 'minmax' },
    { name: 'region', kind: 'categorical', minCount: 1 },
    { name: 'tags', kind: 'multihot' },
    { name: 'title', kind: 'text', hashBuckets: 512 },
  ],
};
const mine = Int32Array.from({ length: n }, (_, i) => i).filter((i) => (layout === 'halves' ? Math.floor((i * worldSize) / n) === rank : i % worldSize === rank));
const parts = rankParts(table.select(mine), mine);
const fitted = FeaturePipeline.fitParts(parts, options);
const whole = FeaturePipeline.fit(table, options);
writeFileSync(
  `${out}.rank${rank}.json`,
  JSON.stringify({
    rank,
    rows: mine.length,
    pipeline: fitted.toJSON(),
    warnings: fitted.warnings,
    whole: whole.toJSON(),
    wholeWarnings: whole.warnings,
    bytesReceived: parts.bytesReceived,
  }),
);
