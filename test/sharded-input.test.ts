// Input beyond one CSV: Parquet files (read with hyparquet, typed like a CSV), directories
// and globs of shards read as one data set, predictions written as Parquet.
import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { parquetReadObjects } from 'hyparquet';
import { readTable, readCsvString } from '../src/data/index.js';
import { writeParquet } from '../src/io/index.js';
import { tempDir } from './helpers/tmp.js';
import { shopRows, toCsv } from './helpers/cli-fixtures.js';

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
