// Stratified and time splits over parts (src/distributed/stratified-split.ts and
// time-split.ts), in one process: 1 to 5 parts stepped together give exactly the
// one-process split of the whole table, and under a time split each training row's place in
// time order; a bad time fails every part with the one-process message.
import test from 'ava';
import { stratifiedSplit, timeSplit, type ColumnType, type Split } from '../src/data/index.js';
import { shuffleKey } from '../src/data/shuffle-key.js';
import { runInProcess, type Exchange } from '../src/distributed/exchange.js';
import { stratifiedSplitParts } from '../src/distributed/stratified-split.js';
import { timeSplitParts } from '../src/distributed/time-split.js';
import { lcg, oneTable, partition, tableParts, type Raw } from './helpers/table-parts.js';

const LAYOUTS = ['ranges', 'files'] as const;

/** A part's local split in the whole table's row numbers. */
const inWhole = (split: Split, globalIndex: Float64Array) => ({
  train: Array.from(split.train, (i) => globalIndex[i]),
  validation: Array.from(split.validation, (i) => globalIndex[i]),
  test: Array.from(split.test, (i) => globalIndex[i]),
});

/** The parts' rows of each part of the split, together, ascending; every row on one part only. */
function together(splits: { train: number[]; validation: number[]; test: number[] }[]): { train: number[]; validation: number[]; test: number[] } {
  const all = (k: 'train' | 'validation' | 'test') => splits.flatMap((s) => s[k]).sort((a, b) => a - b);
  return { train: all('train'), validation: all('validation'), test: all('test') };
}
const ascending = (s: Split) => ({ train: Array.from(s.train).sort((a, b) => a - b), validation: Array.from(s.validation).sort((a, b) => a - b), test: Array.from(s.test).sort((a, b) => a - b) });

/** Catches an exchange's error as its value, so that every part's failure can be read. */
function* failureOf<T>(exchange: Exchange<T>): Exchange<T | { error: string }> {
  try {
    return yield* exchange;
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function timeRows(n: number, seed: number, dates: boolean): { raw: Raw; types: Record<string, ColumnType> } {
  const random = lcg(seed);
  // Few distinct times, so many ties (broken by row index); -0 and 0 among them.
  const time = Array.from({ length: n }, () => {
    const k = Math.floor(random() * Math.max(1, n / 4)) - 2;
    return dates ? new Date(Date.UTC(2024, 0, 1 + k)).toISOString().slice(0, 10) : k === 0 && random() < 0.5 ? -0 : k;
  });
  return { raw: { when: time, v: time.map((_, i) => i % 5) }, types: { when: dates ? 'categorical' : 'numeric', v: 'numeric' } };
}

for (const dates of [false, true])
  test(`time split over 1 to 5 parts equals timeSplit on the whole table, with each training row's place in time order (${dates ? 'dates' : 'numbers'})`, (t) => {
    for (const n of [0, 1, 7, 200]) {
      const { raw, types } = timeRows(n, n + 3, dates);
      const options = { validation: 0.15, test: 0.2 };
      const reference = timeSplit(oneTable(raw, types), 'when', options);
      const placeInTrain = new Map(Array.from(reference.train, (row, k) => [row, k]));
      for (let count = 1; count <= 5; count++)
        for (const layout of LAYOUTS) {
          const parts = tableParts(raw, types, partition(n, count, layout, lcg(7 * count + n)));
          const ran = runInProcess(parts.map((p, rank) => timeSplitParts(p.table, 'when', p.globalIndex, n, options, { rank, size: count })));
          const what = `${n} rows, ${count} parts (${layout})`;
          t.deepEqual(together(ran.map((r, p) => inWhole(r.value.split, parts[p].globalIndex))), ascending(reference), what);
          ran.forEach(({ value }, p) => {
            const places = Array.from(value.split.train, (i) => placeInTrain.get(parts[p].globalIndex[i]));
            t.deepEqual(Array.from(value.trainPlaces), places, `${what}, part ${p}: places in time order`);
          });
        }
    }
  });

test('a bad time fails every part with the message one process gives for the first bad row', (t) => {
  const { raw, types } = timeRows(120, 5, true);
  raw.when[90] = 'soon';
  raw.when[30] = 'later';
  const message = t.throws(() => timeSplit(oneTable(raw, types), 'when'))!.message;
  t.is(message, "data.csv line 32, column 'when': 'later' is not a time (a number or a date)");
  for (let count = 1; count <= 5; count++) {
    const parts = tableParts(raw, types, partition(120, count, 'files', lcg(count)));
    const ran = runInProcess(parts.map((p, rank) => failureOf(timeSplitParts(p.table, 'when', p.globalIndex, 120, {}, { rank, size: count }))));
    for (const r of ran) t.deepEqual(r.value, { error: message }, `${count} parts`);
  }
});

function strataRows(n: number, seed: number, numeric: boolean): { raw: Raw; types: Record<string, ColumnType> } {
  const random = lcg(seed);
  // A rare class first seen late, missing values, and a common pair.
  const y = Array.from({ length: n }, (_, i) => {
    const u = random();
    const label = i > n / 2 && u < 0.05 ? 3 : u < 0.1 ? null : u < 0.4 ? 1 : 2;
    return label === null ? null : numeric ? label : `class-${label}`;
  });
  return { raw: { y, v: y.map((_, i) => i) }, types: { y: numeric ? 'numeric' : 'categorical', v: 'numeric' } };
}

for (const numeric of [false, true])
  test(`stratified split over 1 to 5 parts equals stratifiedSplit on the whole table (${numeric ? 'numeric' : 'string'} strata)`, (t) => {
    for (const n of [0, 1, 9, 300]) {
      const { raw, types } = strataRows(n, n + 11, numeric);
      for (const seed of [0, 4]) {
        const options = { validation: 0.1, test: 0.25, seed };
        const reference = stratifiedSplit(oneTable(raw, types), 'y', options);
        for (let count = 1; count <= 5; count++)
          for (const layout of LAYOUTS) {
            const parts = tableParts(raw, types, partition(n, count, layout, lcg(5 * count + n + seed)));
            const ran = runInProcess(parts.map((p) => stratifiedSplitParts(p.table, 'y', p.globalIndex, options)));
            t.deepEqual(together(ran.map((r, p) => inWhole(r.value, parts[p].globalIndex))), ascending(reference), `${n} rows, seed ${seed}, ${count} parts (${layout})`);
          }
      }
    }
  });

test('the stratified split keeps each stratum\'s proportion, missing values as one stratum, and changes with the seed', (t) => {
  const { raw, types } = strataRows(1000, 2, false);
  const table = oneTable(raw, types);
  const a = stratifiedSplit(table, 'y', { validation: 0.1, test: 0.2, seed: 1 });
  const b = stratifiedSplit(table, 'y', { validation: 0.1, test: 0.2, seed: 2 });
  t.notDeepEqual(a.test, b.test);
  t.deepEqual(stratifiedSplit(table, 'y', { validation: 0.1, test: 0.2, seed: 1 }), a);
  for (const value of ['class-1', 'class-2', 'class-3', null]) {
    const size = raw.y.filter((y) => y === value).length;
    const inPart = (rows: Int32Array) => Array.from(rows).filter((r) => raw.y[r] === value).length;
    t.true(Math.abs(inPart(a.test) - 0.2 * size) <= 1, `${value}: ${inPart(a.test)} of ${size} in test`);
    t.true(Math.abs(inPart(a.validation) - 0.1 * size) <= 1, `${value}: ${inPart(a.validation)} of ${size} in validation`);
  }
});

test('a shuffle key is a seeded bijection of row indices onto [0, 2^53)', (t) => {
  const key = shuffleKey(9);
  const keys = Array.from({ length: 50_000 }, (_, i) => key(i));
  t.is(new Set(keys).size, keys.length);
  t.true(keys.every((k) => Number.isInteger(k) && k >= 0 && k < 2 ** 53));
  t.true(Number.isInteger(key(2 ** 53 - 1)) && key(2 ** 53 - 1) < 2 ** 53);
  t.not(shuffleKey(10)(0), key(0));
  // Order by key is a shuffle: about half of neighbouring rows swap.
  const swapped = keys.slice(1).filter((k, i) => k < keys[i]).length / (keys.length - 1);
  t.true(Math.abs(swapped - 0.5) < 0.02, `${swapped}`);
  t.throws(() => key(-1), { message: /not a row index/ });
});
