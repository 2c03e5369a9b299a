// Train / validation / test splits as row-index arrays: seeded random, stratified by a
// column, by a time column, by a column naming each row's split, and k-fold. Seeds go
// through the engine's Generator (or, for stratified splits, a seeded key per row), so a
// seed gives the same split everywhere.
import { Generator } from '../tensor/random.js';
import { asNumbers, asStrings } from './columns.js';
import type { CsvOptions } from './csv.js';
import { readTable } from './sources.js';
import type { Table } from './table.js';
import { shuffleKey } from './shuffle-key.js';

export interface Split {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

export interface SplitOptions {
  /** Fraction of rows for validation (default 0.1). */
  validation?: number;
  /** Fraction of rows for test (default 0.1). */
  test?: number;
  /** Seed of the shuffle (default 0). */
  seed?: number;
}

/** The validation and test fractions (0.1 each by default), checked. */
export function fractions(o: SplitOptions, where: string): [number, number] {
  const v = o.validation ?? 0.1;
  const t = o.test ?? 0.1;
  if (!(v >= 0 && t >= 0 && v + t < 1)) throw new Error(`${where}: validation (${v}) and test (${t}) fractions must be >= 0 and sum to less than 1`);
  return [v, t];
}

function iota(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** Cuts an ordered list of rows: test and validation from the end of a shuffled list. */
function cut(rows: Int32Array, v: number, t: number): Split {
  const n = rows.length;
  const nTest = Math.round(n * t);
  const nVal = Math.round(n * v);
  const nTrain = n - nTest - nVal;
  return { train: rows.slice(0, nTrain), validation: rows.slice(nTrain, nTrain + nVal), test: rows.slice(nTrain + nVal) };
}

const sorted = (a: Int32Array) => a.sort();

/** A seeded random split of rows 0..numRows-1 (each part in row order). */
export function randomSplit(numRows: number, options: SplitOptions = {}): Split {
  const [v, t] = fractions(options, 'randomSplit');
  const rows = new Generator(options.seed ?? 0).shuffle(iota(numRows));
  const s = cut(rows, v, t);
  return { train: sorted(s.train), validation: sorted(s.validation), test: sorted(s.test) };
}

/** Row groups by the values of a column (missing values form their own group). */
function strata(table: Table, column: string): Int32Array[] {
  const view = asStrings(table.column(column));
  const groups: number[][] = Array.from({ length: view.dictionary.length + 1 }, () => []);
  for (let i = 0; i < view.codes.length; i++) groups[view.codes[i] + 1].push(i);
  return groups.filter((g) => g.length > 0).map((g) => Int32Array.from(g));
}

/**
 * Per-group counts summing exactly to round(total * fraction): floors first, then the
 * remaining rows to the groups with the largest fractional parts (largest remainder).
 */
function apportion(sizes: readonly number[], fraction: number, cap: readonly number[]): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const target = Math.round(total * fraction);
  const ideal = sizes.map((n) => n * fraction);
  const counts = ideal.map((x, i) => Math.min(Math.floor(x), cap[i]));
  let left = target - counts.reduce((a, b) => a + b, 0);
  const order = ideal.map((x, i) => i).sort((a, b) => ideal[b] - Math.floor(ideal[b]) - (ideal[a] - Math.floor(ideal[a])) || a - b);
  for (let pass = 0; left > 0 && pass < 2; pass++)
    for (const i of order) {
      if (left === 0) break;
      if (counts[i] < cap[i]) {
        counts[i]++;
        left--;
      }
    }
  return counts;
}

/**
 * Each stratum's train and validation counts (the rest is test): test and validation each
 * apportioned by largest remainder, so they sum exactly to round(total x fraction).
 * Strata in the order of their first row, which breaks ties between equal remainders.
 */
export function stratumCounts(sizes: readonly number[], validation: number, test: number): { train: number[]; validation: number[] } {
  const nTest = apportion(sizes, test, sizes);
  const nVal = apportion(sizes, validation, sizes.map((n, i) => n - nTest[i]));
  return { train: sizes.map((n, i) => n - nTest[i] - nVal[i]), validation: nVal };
}

/** Each row's stratum (missing values form one), strata numbered by their first row; and each stratum's size. */
function strataByFirstRow(table: Table, column: string): { stratum: Int32Array; sizes: number[] } {
  const view = asStrings(table.column(column));
  const numberOf = new Int32Array(view.dictionary.length + 1).fill(-1);
  const stratum = new Int32Array(view.codes.length);
  const sizes: number[] = [];
  for (let i = 0; i < view.codes.length; i++) {
    const c = view.codes[i] + 1;
    if (numberOf[c] < 0) {
      numberOf[c] = sizes.length;
      sizes.push(0);
    }
    stratum[i] = numberOf[c];
    sizes[numberOf[c]]++;
  }
  return { stratum, sizes };
}

/**
 * A seeded split that keeps each value of `column` (e.g. a label) in the same proportion in
 * every part. Within each stratum, rows go in the order of their seeded shuffle key
 * (shuffle-key.ts): the first ones train, then validation, the last ones test. A row's key
 * depends only on the seed and its index, so the ranks of a distributed job reproduce this
 * split without gathering any stratum's rows (stratified-split.ts in src/distributed).
 */
export function stratifiedSplit(table: Table, column: string, options: SplitOptions = {}): Split {
  const [v, t] = fractions(options, 'stratifiedSplit');
  const { stratum, sizes } = strataByFirstRow(table, column);
  const counts = stratumCounts(sizes, v, t);
  const key = shuffleKey(options.seed ?? 0);
  const keys = Float64Array.from({ length: table.numRows }, (_, i) => key(i));
  const order = Array.from(iota(table.numRows)).sort((a, b) => keys[a] - keys[b]);
  const seen = new Array<number>(sizes.length).fill(0);
  const parts = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  for (const row of order) {
    const g = stratum[row], k = seen[g]++;
    (k < counts.train[g] ? parts.train : k < counts.train[g] + counts.validation[g] ? parts.validation : parts.test).push(row);
  }
  return { train: sorted(Int32Array.from(parts.train)), validation: sorted(Int32Array.from(parts.validation)), test: sorted(Int32Array.from(parts.test)) };
}

/** Each row's time: numbers as they are, strings through Date.parse; NaN where missing or not a time. */
export function timeValues(table: Table, column: string): Float64Array {
  const col = table.column(column);
  if (col.type === 'numeric') return col.values;
  const parsed = col.dictionary.map((s) => {
    const n = Number(s);
    return s.trim() !== '' && Number.isFinite(n) ? n : Date.parse(s);
  });
  const values = new Float64Array(col.codes.length);
  for (let i = 0; i < values.length; i++) values[i] = col.codes[i] < 0 ? NaN : parsed[col.codes[i]];
  return values;
}

/** The error for row i, whose time is missing or unreadable. */
export function notATime(table: Table, column: string, row: number): Error {
  return new Error(`${table.where(row)}, column '${column}': '${table.cell(row, column)}' is not a time (a number or a date)`);
}

/** Times of a column; a missing or unparsable time is an error naming the first such row. */
function times(table: Table, column: string): Float64Array {
  const values = timeValues(table, column);
  const bad = values.findIndex(Number.isNaN);
  if (bad >= 0) throw notATime(table, column, bad);
  return values;
}

/** Earliest rows train, then validation, latest test (ties keep file order). */
export function timeSplit(table: Table, column: string, options: Omit<SplitOptions, 'seed'> = {}): Split {
  const [v, t] = fractions(options, 'timeSplit');
  const ts = times(table, column);
  const order = Array.from(iota(table.numRows)).sort((a, b) => ts[a] - ts[b] || a - b);
  return cut(Int32Array.from(order), v, t);
}

export interface ColumnSplitNames {
  train?: string[];
  validation?: string[];
  test?: string[];
}

/** A split the data already names: each row's value in `column` says train, validation or test (case-insensitive). */
export function columnSplit(table: Table, column: string, names: ColumnSplitNames = {}): Split {
  const want = {
    train: names.train ?? ['train', 'training'],
    validation: names.validation ?? ['validation', 'valid', 'val', 'dev'],
    test: names.test ?? ['test', 'testing'],
  };
  const lookup = new Map<string, 0 | 1 | 2>();
  want.train.forEach((s) => lookup.set(s.toLowerCase(), 0));
  want.validation.forEach((s) => lookup.set(s.toLowerCase(), 1));
  want.test.forEach((s) => lookup.set(s.toLowerCase(), 2));
  const view = asStrings(table.column(column));
  const lut = view.dictionary.map((s) => lookup.get(s.trim().toLowerCase()) ?? -1);
  const parts: number[][] = [[], [], []];
  for (let i = 0; i < view.codes.length; i++) {
    const c = view.codes[i];
    const p = c < 0 ? -1 : lut[c];
    if (p < 0)
      throw new Error(
        `${table.where(i)}, column '${column}': split '${table.cell(i, column)}' is not one of ${[...want.train, ...want.validation, ...want.test].join(', ')}`,
      );
    parts[p].push(i);
  }
  return { train: Int32Array.from(parts[0]), validation: Int32Array.from(parts[1]), test: Int32Array.from(parts[2]) };
}

export interface Fold {
  train: Int32Array;
  test: Int32Array;
}

/** k folds: every row is in exactly one fold's test part; with `stratify`, folds keep that column's ratios. */
export function kFold(table: Table | number, k: number, options: { seed?: number; stratify?: string } = {}): Fold[] {
  const n = typeof table === 'number' ? table : table.numRows;
  if (!Number.isInteger(k) || k < 2 || k > n) throw new Error(`kFold: k must be an integer from 2 to the number of rows (${n}), got ${k}`);
  const g = new Generator(options.seed ?? 0);
  const foldOf = new Int32Array(n);
  if (options.stratify) {
    if (typeof table === 'number') throw new Error('kFold: stratify needs a table');
    // Deal each stratum's shuffled rows round-robin, continuing where the last stratum stopped.
    let next = 0;
    for (const rows of strata(table, options.stratify)) for (const r of g.shuffle(rows)) foldOf[r] = next++ % k;
  } else {
    const rows = g.shuffle(iota(n));
    for (let i = 0; i < n; i++) foldOf[rows[i]] = i % k;
  }
  const folds: Fold[] = [];
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (foldOf[i] === f ? test : train).push(i);
    folds.push({ train: Int32Array.from(train), test: Int32Array.from(test) });
  }
  return folds;
}

/** The tables of a split. */
export function splitTable(table: Table, split: Split): { train: Table; validation: Table; test: Table } {
  return { train: table.select(split.train), validation: table.select(split.validation), test: table.select(split.test) };
}

/**
 * A split the user already has as separate files: the training file is read first and its
 * column types are imposed on the others, whose columns must match it.
 */
export async function readSplitFiles(
  files: { train: string; validation?: string; test?: string },
  options: CsvOptions = {},
): Promise<{ train: Table; validation?: Table; test?: Table }> {
  const train = await readTable(files.train, options);
  const types = { ...train.schema(), ...options.types };
  const readLike = (path: string | undefined) =>
    path ? readTable(path, { ...options, types, columns: train.columnNames, required: train.columnNames }) : Promise.resolve(undefined);
  return { train, validation: await readLike(files.validation), test: await readLike(files.test) };
}
