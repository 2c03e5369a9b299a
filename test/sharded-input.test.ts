// Input beyond one CSV: Parquet files (read with hyparquet, typed like a CSV), directories
// and globs of shards read as one data set, predictions written as Parquet.
import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { parquetReadObjects } from 'hyparquet';
import { dataFiles, readTable, readCsvString } from '../src/data/index.js';
import { writeParquet } from '../src/io/index.js';
import { parquetKind, readParquetPart } from '../src/data/parquet.js';
import { readRankShare } from '../src/distributed/index.js';
import { tempDir } from './helpers/tmp.js';
import { FEATURE_COLUMNS, TASK_COLUMNS, shopConfig, shopRows, toCsv, type ShopRow } from './helpers/cli-fixtures.js';
import { launch, mpiTest } from './helpers/distributed-launch.js';

function parquetFile(path: string, columns: Record<string, (string | number | null)[]>): void {
  const columnData = Object.entries(columns).map(([name, data]) =>
    data.every((v) => typeof v === 'number' || v === null)
      ? { name, data: data.map((v) => (v === null ? null : Number(v))), type: 'DOUBLE' as const, nullable: true }
      : { name, data: data.map((v) => (v === null ? null : String(v))), type: 'STRING' as const, nullable: true },
  );
  writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData })));
}

test('a Parquet file reads into the same typed table as the same rows in a CSV', async (t) => {
  const dir = tempDir();
  const rows = shopRows(200, 3);
  const csv = await readCsvString(toCsv(rows));
  parquetFile(join(dir, 'shop.parquet'), {
    age: rows.map((r) => (r.age === 'NA' ? null : Number(r.age))),
    region: rows.map((r) => r.region),
    tags: rows.map((r) => r.tags),
    title: rows.map((r) => r.title),
    clicked: rows.map((r) => r.clicked),
    segment: rows.map((r) => r.segment),
    spend: rows.map((r) => Number(r.spend)),
  });
  const pq = await readTable(join(dir, 'shop.parquet'));
  t.deepEqual(pq.schema(), csv.schema());
  t.is(pq.numRows, 200);
  for (const i of [0, 17, 199]) for (const c of ['age', 'region', 'tags', 'clicked']) t.is(pq.cell(i, c), csv.cell(i, c), `row ${i} column ${c}`);
  t.is(pq.where(17), 'shop.parquet line 18');
});

test('a directory or a glob of shards reads as one data set; rows name their own file', async (t) => {
  const dir = tempDir();
  const rows = shopRows(300, 4);
  writeFileSync(join(dir, 'part-1.csv'), toCsv(rows.slice(0, 100)));
  writeFileSync(join(dir, 'part-2.csv'), toCsv(rows.slice(100, 300)));
  writeFileSync(join(dir, 'notes.md'), 'not data');
  const all = await readTable(dir);
  t.is(all.numRows, 300);
  t.is(all.where(150), `${join(dir, 'part-2.csv')} line 52`);
  const globbed = await readTable(join(dir, 'part-*.csv'));
  t.is(globbed.numRows, 300);
  t.is(globbed.cell(299, 'title'), (await readCsvString(toCsv(rows))).cell(299, 'title'));
});

test('bad input: shards with different columns, an empty glob, an empty directory, nested values', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.csv'), 'x,y\n1,2\n');
  writeFileSync(join(dir, 'b.csv'), 'x,z\n1,2\n');
  await t.throwsAsync(readTable(dir), { message: /b\.csv: its columns differ from .*a\.csv's; missing 'y'; extra 'z'/ });
  await t.throwsAsync(readTable(join(dir, 'nothing-*.csv')), { message: /nothing-\*\.csv: no file matches/ });
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  await t.throwsAsync(readTable(empty), { message: /a directory with no data files/ });
  writeFileSync(join(dir, 'bad.parquet'), 'PAR1 not really');
  await t.throwsAsync(readTable(join(dir, 'bad.parquet')), { message: /bad\.parquet: not a readable Parquet file/ });
  parquetFile(join(dir, 'ok.parquet'), { x: [1, 2] });
  await t.throwsAsync(readTable(join(dir, 'ok.parquet'), { required: ['y'] }), { message: /ok\.parquet: missing column 'y'/ });
});

test('predictions can be written as Parquet', async (t) => {
  const file = join(tempDir(), 'preds.parquet');
  writeParquet(file, { line: Int32Array.from([2, 3]), click_probability: Float64Array.from([0.25, 0.75]), segment: ['A', 'B'] });
  const { readFile } = await import('node:fs/promises');
  const b = await readFile(file);
  const rows = await parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) });
  t.deepEqual(rows, [
    { line: 2, click_probability: 0.25, segment: 'A' },
    { line: 3, click_probability: 0.75, segment: 'B' },
  ]);
});

// ---- each rank reads its share (under mpirun) ------------------------------------------

/** The shop rows with a unique 'serial' per row (a numeric feature the tests read rows back by); rows 0-4 are repeated at the end, as exact duplicates. */
function serialRows(n: number, seed: number): (ShopRow & { serial: string })[] {
  const rows = shopRows(n, seed).map((r, i) => ({ ...r, serial: String(1000 + i) }));
  return [...rows, ...rows.slice(0, 5)];
}
const SERIAL_COLUMNS = ['serial', ...FEATURE_COLUMNS, ...TASK_COLUMNS] as (keyof ShopRow)[];

function parquetRows(path: string, rows: (ShopRow & { serial: string })[], rowGroupSize = 100): void {
  const num = (k: keyof ShopRow | 'serial') => rows.map((r) => (r[k] === 'NA' ? null : Number(r[k])));
  const str = (k: keyof ShopRow) => rows.map((r) => r[k]);
  const columnData = [
    { name: 'serial', data: num('serial'), type: 'DOUBLE' as const, nullable: true },
    { name: 'age', data: num('age'), type: 'DOUBLE' as const, nullable: true },
    ...(['region', 'tags', 'title', 'clicked', 'segment'] as const).map((k) => ({ name: k, data: str(k), type: 'STRING' as const, nullable: true })),
    { name: 'spend', data: num('spend'), type: 'DOUBLE' as const, nullable: true },
  ];
  writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize })));
}

function job(dir: string): string {
  const config = shopConfig({ epochs: 2 });
  config.features.push({ name: 'serial', kind: 'numeric' });
  const file = join(dir, 'job.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

interface Prepared {
  rank: number;
  worldSize: number;
  read: { mode: string; files: string[]; rows: number } | null;
  rows: { train: number; validation: number; test: number };
  duplicateRows: number;
  train: number[];
  validation: number[];
  test: number[];
  pipeline: unknown;
  warnings: string[];
}
const readPrepared = (out: string, rank: number): Prepared => JSON.parse(readFileSync(`${out}.rank${rank}.json`, 'utf8'));

const shareCases: { title: string; make: (dir: string) => string; split?: string; mode: string; files: (all: string[]) => string[][] }[] = [
  {
    title: '4 CSV files on 2 ranks: rank r reads files r and r + 2; random split',
    make: (dir) => {
      const rows = serialRows(600, 8);
      for (let k = 0; k < 4; k++) writeFileSync(join(dir, `part-${k}.csv`), toCsv(rows.slice(k * 150, k === 3 ? rows.length : (k + 1) * 150), SERIAL_COLUMNS));
      return join(dir, 'part-*.csv');
    },
    mode: 'files',
    files: (all) => [[all[0], all[2]], [all[1], all[3]]],
  },
  {
    title: 'one Parquet file (6 row groups) on 2 ranks: each reads half of the rows; stratified split',
    make: (dir) => {
      parquetRows(join(dir, 'all.parquet'), serialRows(600, 9));
      return join(dir, 'all.parquet');
    },
    split: 'stratified',
    mode: 'rows',
    files: (all) => [all, all],
  },
  {
    title: 'one CSV file on 2 ranks: each keeps half of the rows; random split',
    make: (dir) => {
      writeFileSync(join(dir, 'all.csv'), toCsv(serialRows(500, 10), SERIAL_COLUMNS));
      return join(dir, 'all.csv');
    },
    mode: 'rows',
    files: (all) => [all, all],
  },
];

for (const c of shareCases)
  mpiTest(`${c.title}; the splits and the fitted pipeline are the single process's`, async (t) => {
    const dir = tempDir();
    const data = c.make(dir);
    const jobFile = job(dir);
    const args = (out: string) => [jobFile, data, join(dir, out), ...(c.split ? [c.split] : [])];
    const one = await launch(0, 'distributed-prepare.ts', args('one'));
    t.is(one.code, 0, one.output);
    const two = await launch(2, 'distributed-prepare.ts', args('two'));
    t.is(two.code, 0, two.output);
    const ref = readPrepared(join(dir, 'one'), 0);
    const ranks = [0, 1].map((r) => readPrepared(join(dir, 'two'), r));
    const files = c.files(dataFiles(data));
    const total = ranks.reduce((s, r) => s + r.read!.rows, 0);
    for (const r of ranks) {
      t.is(r.read!.mode, c.mode);
      t.deepEqual(r.read!.files, files[r.rank], `rank ${r.rank}'s files`);
      t.true(r.read!.rows < total * 0.6, `rank ${r.rank} read ${r.read!.rows} of ${total} rows`);
      t.deepEqual(r.rows, ref.rows, 'whole-data-set counts');
      t.is(r.duplicateRows, 5, 'the 5 repeated rows are found across ranks');
      t.deepEqual(r.pipeline, ref.pipeline, `rank ${r.rank}: vocabularies, scalers and target scalers equal the single process's`);
      t.deepEqual(r.warnings, ref.warnings);
    }
    t.is(ref.duplicateRows, 5);
    for (const part of ['train', 'validation', 'test'] as const) {
      const [a, b] = ranks.map((r) => r[part]);
      t.false(a.some((s) => b.includes(s)), `${part}: no row on both ranks`);
      t.deepEqual([...a, ...b].sort((x, y) => x - y), ref[part], `${part}: the ranks' rows together are the single process's`);
    }
    const line = `${c.title}: rows read per rank ${ranks.map((r) => r.read!.rows).join(' + ')} = ${total}; training rows ${ranks.map((r) => r.train.length).join(' + ')} = ${ref.train.length}`;
    console.log(line);
    t.log(line);
  });

// ---- the pieces, in one process --------------------------------------------------------

test('a Parquet share reads only its rows: shares 0 and 1 of 2 are the two halves, numbered as in the file', async (t) => {
  const dir = tempDir();
  parquetRows(join(dir, 'all.parquet'), serialRows(301, 12), 50);
  const whole = await readParquetPart(join(dir, 'all.parquet'));
  const halves = await Promise.all([0, 1].map((index) => readParquetPart(join(dir, 'all.parquet'), { share: { index, count: 2 }, asText: true })));
  t.deepEqual(halves.map((h) => [h.rowStart, h.table.numRows]), [[0, 153], [153, 153]]);
  t.is(whole.fileRows, 306);
  t.is(halves[1].table.where(0), 'all.parquet line 154');
  for (const i of [0, 152]) t.is(halves[1].table.cell(i, 'title'), whole.table.cell(153 + i, 'title'));
  t.is(halves[0].columnTypes.age, 'DOUBLE');
  t.is(halves[0].columnTypes.region, 'BYTE_ARRAY (UTF8)');
});

test('in a world of one process, a rank share is the whole table, typed as readTable types it', async (t) => {
  const dir = tempDir();
  const rows = serialRows(200, 13);
  for (let k = 0; k < 3; k++) writeFileSync(join(dir, `p${k}.csv`), toCsv(rows.slice(k * 70, (k + 1) * 70), SERIAL_COLUMNS));
  const share = await readRankShare(dir, {}, { rank: 0, size: 1 });
  const table = await readTable(dir);
  t.deepEqual(share.table.schema(), table.schema());
  t.is(share.totalRows, table.numRows);
  t.deepEqual(Array.from(share.globalIndex), Array.from({ length: table.numRows }, (_, i) => i));
  for (const i of [0, 69, 70, 204]) for (const c of SERIAL_COLUMNS) t.is(share.table.cell(i, c), table.cell(i, c), `row ${i} column ${c}`);
});

test('Parquet columns agree across files by the kind of value they hold, whatever the writer chose', (t) => {
  t.is(parquetKind('INT32 (INTEGER)'), parquetKind('DOUBLE'));
  t.is(parquetKind('BYTE_ARRAY (UTF8)'), parquetKind('BYTE_ARRAY (STRING)'));
  t.not(parquetKind('BYTE_ARRAY (UTF8)'), parquetKind('DOUBLE'));
  t.is(parquetKind('INT64 (TIMESTAMP)'), 'time');
  t.is(parquetKind('group (LIST)'), 'nested');
});

// ---- one CSV file split by bytes (under mpirun) ----------------------------------------

mpiTest('one CSV file with quoted multi-line fields, CR LF line ends and a ragged row, split by bytes on 2 ranks: the prepared data are the single process\'s', async (t) => {
  const dir = tempDir();
  const cell = (v: string) => (/[",\r\n ]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  // The first 250 rows are the longer ones (a title of three lines), so the ranks' byte ranges hold different numbers of rows.
  const rows = serialRows(500, 15).map((r) => (Number(r.serial) < 1250 ? { ...r, title: `${r.title}\r\nsays "hello, twice"\n${r.title}` } : r));
  const lines = [SERIAL_COLUMNS.join(','), ...rows.map((r) => SERIAL_COLUMNS.map((c) => cell(r[c])).join(','))];
  // A row of two cells past the middle of the file, in rank 1's bytes: skipped and counted once.
  lines.splice(400, 0, '1,2');
  const data = join(dir, 'quoted.csv');
  writeFileSync(data, lines.join('\r\n') + '\r\n');
  const jobFile = job(dir);
  const one = await launch(0, 'distributed-prepare.ts', [jobFile, data, join(dir, 'one')]);
  t.is(one.code, 0, one.output);
  const two = await launch(2, 'distributed-prepare.ts', [jobFile, data, join(dir, 'two')]);
  t.is(two.code, 0, two.output);
  const ref = readPrepared(join(dir, 'one'), 0) as Prepared & { badRows: number };
  const ranks = [0, 1].map((r) => readPrepared(join(dir, 'two'), r) as Prepared & { badRows: number });
  const total = ranks.reduce((s, r) => s + r.read!.rows, 0);
  t.is(total, 505, 'every row read by one rank (500 rows, 5 repeated, the ragged one skipped)');
  t.is(ref.badRows, 1);
  t.true(ranks[0].read!.rows < ranks[1].read!.rows, `by bytes, rank 0 (the long rows) holds fewer rows: ${ranks[0].read!.rows} and ${ranks[1].read!.rows}`);
  for (const r of ranks) {
    t.is(r.read!.mode, 'rows');
    t.is(r.badRows, 1, `rank ${r.rank}: the ragged row, counted once`);
    t.deepEqual(r.rows, ref.rows, 'whole-data-set counts');
    t.is(r.duplicateRows, 5);
    t.deepEqual(r.pipeline, ref.pipeline, `rank ${r.rank}: the fitted pipeline equals the single process's`);
    t.deepEqual(r.warnings, ref.warnings);
  }
  for (const part of ['train', 'validation', 'test'] as const) {
    const [a, b] = ranks.map((r) => r[part]);
    t.false(a.some((s) => b.includes(s)), `${part}: no row on both ranks`);
    t.deepEqual([...a, ...b].sort((x, y) => x - y), ref[part], `${part}: the ranks' rows together are the single process's`);
  }
  t.log(`rows read per rank ${ranks.map((r) => r.read!.rows).join(' + ')} = ${total}; training rows ${ranks.map((r) => r.train.length).join(' + ')} = ${ref.train.length}`);
});

// ---- the pipeline's fit from statistics merged across ranks (under mpirun) ---------------

mpiTest('the fit on 2 ranks exchanges statistics, not rows: equal to one process on all rows, and the bytes received do not grow with the rows', async (t) => {
  const dir = tempDir();
  const received: Record<string, number> = {};
  for (const [rows, layout] of [[2000, 'halves'], [20000, 'halves'], [2000, 'alternate']] as const) {
    const out = join(dir, `${layout}-${rows}`);
    const run = await launch(2, 'distributed-fit.ts', [String(rows), layout, out]);
    t.is(run.code, 0, run.output);
    const ranks = [0, 1].map((r) => JSON.parse(readFileSync(`${out}.rank${r}.json`, 'utf8')));
    for (const r of ranks) {
      t.deepEqual(r.pipeline, r.whole, `${rows} rows (${layout}), rank ${r.rank}: the pipeline one process fits on all rows`);
      t.deepEqual(r.warnings, r.wholeWarnings);
    }
    t.regex(ranks[0].warnings.join('\n'), /feature 'serial' .*distinct integer on each of its \d+ training rows/);
    received[`${layout} ${rows}`] = Math.max(...ranks.map((r) => r.bytesReceived));
  }
  // Every training row's feature and task columns gathered as float64 (what each rank used to hold) would be 8 * 9 * rows bytes.
  const line = `bytes each rank received for the fit: ${Object.entries(received).map(([k, b]) => `${k} rows ${b}`).join(', ')} (the rows themselves: ${8 * 9 * 20000} bytes for 20000)`;
  t.log(line);
  t.true(received['halves 20000'] < 1.25 * received['halves 2000'], line);
  t.true(received['halves 20000'] < 8 * 9 * 20000 / 10, line);
});

// ---- duplicates and splits across ranks (under mpirun) -----------------------------------

mpiTest('duplicates, a time split and a stratified split on 2 and 3 ranks equal one process\'s, and the bytes a rank receives per row do not grow with the rows', async (t) => {
  const dir = tempDir();
  const perRow: Record<string, Record<string, number>> = {};
  for (const [np, rows] of [[2, 2000], [2, 20000], [3, 3000]]) {
    const out = join(dir, `np${np}-rows-${rows}`);
    const run = await launch(np, 'distributed-dedupe-split.ts', [String(rows), out]);
    t.is(run.code, 0, run.output);
    const ranks = Array.from({ length: np }, (_, r) => JSON.parse(readFileSync(`${out}.rank${r}.json`, 'utf8')));
    const whole = ranks[0].whole;
    const union = (f: (r: (typeof ranks)[number]) => number[]) => ranks.flatMap(f).sort((a, b) => a - b);
    for (const r of ranks) {
      t.is(r.dedupe.totalKept, whole.dedupe.totalKept);
      t.is(r.dedupe.duplicateRows, whole.dedupe.duplicateRows);
      t.deepEqual(r.dedupe.duplicateRowLines, whole.dedupe.duplicateRowLines);
    }
    t.true(whole.dedupe.duplicateRows >= rows / 25, `${whole.dedupe.duplicateRows} repeats across the ranks`);
    t.deepEqual(union((r) => r.dedupe.kept), whole.dedupe.kept, `${np} ranks, ${rows} rows: the kept rows are one process's`);
    for (const split of ['time', 'stratified'] as const)
      for (const p of ['train', 'validation', 'test'] as const)
        t.deepEqual(union((r) => r[split][p]), [...whole[split][p]].sort((a: number, b: number) => a - b), `${np} ranks, ${rows} rows, ${split} split: ${p}`);
    // Each training row's place in time order: where one process's training table (in time order) has it.
    const place = new Map<number, number>(whole.time.train.map((row: number, k: number) => [row, k]));
    for (const r of ranks) t.deepEqual(r.time.trainPlaces, r.time.train.map((row: number) => place.get(row)));
    if (np === 2) for (const step of ['dedupe', 'time', 'stratified']) (perRow[step] ??= {})[rows] = Math.max(...ranks.map((r) => r.bytesReceived[step] / r.rows));
  }
  // Gathering every row's hash, index and line (what each rank used to receive for duplicates)
  // is 24 bytes per row of the whole data set, 48 per row of a rank's half; gathering the
  // time column with each row's index and line, as much again.
  const line = `bytes a rank of 2 received per row it holds (2000 rows, 20000 rows): ${Object.entries(perRow).map(([step, b]) => `${step} ${b[2000].toFixed(1)}, ${b[20000].toFixed(1)}`).join('; ')}`;
  console.log(line);
  t.log(line);
  for (const step of ['dedupe', 'time']) {
    t.true(perRow[step][20000] < 1.25 * perRow[step][2000], line);
    t.true(perRow[step][20000] < 24, line);
  }
  t.true(perRow.stratified[20000] < perRow.stratified[2000] / 5, `${line}: a stratified split exchanges per stratum, not per row`);
});

mpiTest('a time split of one CSV file on 2 ranks (many rows at the same time, repeated rows): the parts and the pipeline fitted in time order are the single process\'s; a bad time stops every rank with its message', async (t) => {
  const dir = tempDir();
  const rows = serialRows(600, 16).map((r, i) => ({ ...r, day: String(Math.floor(((i * 37) % 600) / 8)) }));
  const columns = [...SERIAL_COLUMNS, 'day'] as (keyof ShopRow)[];
  const data = join(dir, 'days.csv');
  writeFileSync(data, toCsv(rows as ShopRow[], columns));
  const jobFile = job(dir);
  const one = await launch(0, 'distributed-prepare.ts', [jobFile, data, join(dir, 'one'), 'time:day']);
  t.is(one.code, 0, one.output);
  const two = await launch(2, 'distributed-prepare.ts', [jobFile, data, join(dir, 'two'), 'time:day']);
  t.is(two.code, 0, two.output);
  const ref = readPrepared(join(dir, 'one'), 0);
  const ranks = [0, 1].map((r) => readPrepared(join(dir, 'two'), r));
  for (const r of ranks) {
    t.is(r.read!.mode, 'rows');
    t.deepEqual(r.rows, ref.rows);
    t.is(r.duplicateRows, 5);
    t.deepEqual(r.pipeline, ref.pipeline, `rank ${r.rank}: the fitted pipeline equals the single process's`);
    t.deepEqual(r.warnings, ref.warnings);
  }
  for (const part of ['train', 'validation', 'test'] as const) t.deepEqual(ranks.flatMap((r) => r[part]).sort((x, y) => x - y), ref[part], `${part}: the ranks' rows together are the single process's`);

  // Two bad times, the first on rank 1's half: one process and both ranks name it.
  const bad = rows.map((r, i) => (i === 450 ? { ...r, day: 'soon' } : i === 520 ? { ...r, day: 'later' } : r));
  writeFileSync(data, toCsv(bad as ShopRow[], columns));
  const alone = await launch(0, 'distributed-prepare.ts', [jobFile, data, join(dir, 'bad-one'), 'time:day']);
  t.not(alone.code, 0);
  const message = /Error: (.* is not a time \(a number or a date\))/.exec(alone.output)?.[1] ?? alone.output;
  t.regex(message, /days\.csv line 452, column 'day'/);
  const both = await launch(2, 'distributed-prepare.ts', [jobFile, data, join(dir, 'bad-two'), 'time:day']);
  t.not(both.code, 0);
  t.true(both.output.includes(message), both.output);
});
