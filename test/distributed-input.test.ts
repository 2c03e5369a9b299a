// The CLI under mpirun -np 2 on input that cannot be trained on as given: every rank stops
// with the same message naming the problem (and the file and column where there is one),
// and nothing is written to the run directory. And `train --resume` continuing a
// distributed run, also after a rank was killed mid-epoch.
import test from 'ava';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { CLI_MAIN, launch, mpiTest } from './helpers/distributed-launch.js';
import { shopConfig, shopRows, toCsv } from './helpers/cli-fixtures.js';
import { tempDir } from './helpers/tmp.js';

type Cell = string | number | null;
/** A Parquet file; a column's type is DOUBLE, STRING or JSON (each cell an object, which a feature table cannot hold). */
function parquet(path: string, columns: Record<string, { type: 'DOUBLE' | 'STRING' | 'JSON'; data: Cell[] }>): void {
  const columnData = Object.entries(columns).map(([name, c]) => ({
    name,
    type: c.type,
    nullable: true,
    data: c.type === 'JSON' ? c.data.map((v) => (v === null ? null : { text: v })) : c.type === 'DOUBLE' ? c.data.map((v) => (v === null ? null : Number(v))) : c.data.map((v) => (v === null ? null : String(v))),
  }));
  writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData: columnData as never })));
}

function shopParquet(path: string, n: number, seed: number, change: Partial<Record<string, { type: 'DOUBLE' | 'STRING' | 'JSON' } | null>> = {}): void {
  const rows = shopRows(n, seed);
  const columns: Record<string, { type: 'DOUBLE' | 'STRING' | 'JSON'; data: Cell[] }> = {};
  for (const k of ['age', 'region', 'tags', 'title', 'clicked', 'segment', 'spend'] as const) {
    const numeric = k === 'age' || k === 'spend';
    const type = change[k] === null ? null : change[k]?.type ?? (numeric ? 'DOUBLE' : 'STRING');
    if (!type) continue;
    columns[k] = { type, data: rows.map((r) => (r[k] === 'NA' ? null : numeric && type === 'DOUBLE' ? Number(r[k]) : r[k])) };
  }
  parquet(path, columns);
}

function jobFile(dir: string, epochs = 2): string {
  const file = join(dir, 'job.json');
  writeFileSync(file, JSON.stringify(shopConfig({ epochs })));
  return file;
}

const train = (dir: string, data: string, extra: string[] = [], timeoutMs = 60_000) =>
  launch(2, CLI_MAIN, ['train', '--data', data, '--config', jobFile(dir), '--out', join(dir, 'runs'), '--no-progress', ...extra], timeoutMs);

const badInput: { title: string; make: (dir: string) => string; message: (dir: string) => RegExp }[] = [
  {
    title: 'more ranks than training rows',
    make: (dir) => {
      writeFileSync(join(dir, 'one.csv'), toCsv(shopRows(1, 1)));
      return join(dir, 'one.csv');
    },
    message: () => /1 training row for 2 ranks; every rank needs at least one training row/,
  },
  {
    title: 'one CSV whose last quoted field is longer than a rank\'s share of the bytes',
    make: (dir) => {
      const rows = shopRows(40, 1);
      rows[39] = { ...rows[39], title: `long ${'word '.repeat(2000)}\nend` };
      writeFileSync(join(dir, 'long.csv'), toCsv(rows));
      return join(dir, 'long.csv');
    },
    message: () => /rank 1 of 2 holds none of the \d+ training rows .*each file is shared among the ranks \(a CSV by bytes\)/,
  },
  {
    title: 'CSV files whose columns differ (each rank reads other files)',
    make: (dir) => {
      mkdirSync(join(dir, 'd'));
      writeFileSync(join(dir, 'd', 'a.csv'), toCsv(shopRows(50, 1)));
      writeFileSync(join(dir, 'd', 'b.csv'), toCsv(shopRows(50, 2)).replace(/\n/g, ',x\n').replace(/^([^\n]*),x\n/, '$1,note\n'));
      return join(dir, 'd');
    },
    message: (dir) => new RegExp(`${join(dir, 'd', 'b.csv')}: its columns differ from ${join(dir, 'd', 'a.csv')}'s; extra 'note'`),
  },
  {
    title: 'Parquet files whose column types differ',
    make: (dir) => {
      mkdirSync(join(dir, 'd'));
      shopParquet(join(dir, 'd', 'a.parquet'), 50, 1);
      shopParquet(join(dir, 'd', 'b.parquet'), 50, 2, { age: { type: 'STRING' } });
      return join(dir, 'd');
    },
    message: (dir) => new RegExp(`${join(dir, 'd', 'b.parquet')}: column 'age' is BYTE_ARRAY \\(UTF8\\) there but DOUBLE in ${join(dir, 'd', 'a.parquet')}`),
  },
  {
    title: 'a Parquet file missing a configured column',
    make: (dir) => {
      mkdirSync(join(dir, 'd'));
      shopParquet(join(dir, 'd', 'a.parquet'), 50, 1);
      shopParquet(join(dir, 'd', 'b.parquet'), 50, 2, { clicked: null });
      return join(dir, 'd');
    },
    message: (dir) => new RegExp(`${join(dir, 'd', 'b.parquet')}: missing column 'clicked'`),
  },
  {
    title: 'a Parquet file with a column of an unsupported type',
    make: (dir) => {
      mkdirSync(join(dir, 'd'));
      shopParquet(join(dir, 'd', 'a.parquet'), 50, 1);
      shopParquet(join(dir, 'd', 'b.parquet'), 50, 2, { title: { type: 'JSON' } });
      return join(dir, 'd');
    },
    message: (dir) => new RegExp(`${join(dir, 'd', 'b.parquet')} column 'title': unsupported Parquet value of type object .*\\[rank 1 of 2\\]`),
  },
];

for (const c of badInput)
  mpiTest(`bad input under mpirun -np 2, ${c.title}: every rank says so, nothing is written`, async (t) => {
    const dir = tempDir();
    const r = await train(dir, c.make(dir));
    t.not(r.code, 0, r.output);
    const said = r.output.split('\n').filter((l) => l.startsWith('trunkline: ') && c.message(dir).test(l));
    t.is(said.length, 2, `the message on both ranks:\n${r.output}`);
    t.false(existsSync(join(dir, 'runs')), 'no run directory');
  });

test('the bad-input cases are all listed', (t) => t.is(badInput.length, 6));
