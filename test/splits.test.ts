// Splits: seeded random, stratified, by time, named by a column, separate files, k-fold.
import test from 'ava';
import { Table, randomSplit, stratifiedSplit, timeSplit, columnSplit, kFold, splitTable, readSplitFiles, type Split } from '../src/data/index.js';
import { tempDir } from './helpers/tmp.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function assertPartition(t: import('ava').ExecutionContext, s: Split, n: number) {
  const seen = new Uint8Array(n);
  for (const part of [s.train, s.validation, s.test]) for (const r of part) seen[r]++;
  t.true(seen.every((c) => c === 1), 'every row in exactly one part');
}

test('random split: fractions, a partition, reproducible by seed', (t) => {
  const s = randomSplit(1000, { validation: 0.1, test: 0.2, seed: 7 });
  t.is(s.train.length, 700);
  t.is(s.validation.length, 100);
  t.is(s.test.length, 200);
  assertPartition(t, s, 1000);
  t.deepEqual(randomSplit(1000, { validation: 0.1, test: 0.2, seed: 7 }), s);
  t.notDeepEqual(randomSplit(1000, { validation: 0.1, test: 0.2, seed: 8 }).test, s.test);
  t.throws(() => randomSplit(10, { validation: 0.6, test: 0.5 }), { message: /fractions must be >= 0 and sum to less than 1/ });
});

test('stratified split keeps the class ratios in every part', (t) => {
  // 12% positives, like bank's y.
  const y = Array.from({ length: 2000 }, (_, i) => (i % 25 < 3 ? 'yes' : 'no'));
  const table = Table.fromColumns({ y });
  const s = stratifiedSplit(table, 'y', { validation: 0.1, test: 0.1, seed: 3 });
  assertPartition(t, s, 2000);
  const rate = (rows: Int32Array) => rows.reduce((n, r) => n + (y[r] === 'yes' ? 1 : 0), 0) / rows.length;
  for (const part of [s.train, s.validation, s.test]) t.true(Math.abs(rate(part) - 0.12) < 0.003, `rate ${rate(part)}`);
  t.is(s.test.length, 200);
  // Many small groups still give the requested sizes (largest-remainder apportioning).
  const small = Table.fromColumns({ g: Array.from({ length: 100 }, (_, i) => `g${i % 30}`) });
  const ss = stratifiedSplit(small, 'g', { validation: 0.15, test: 0.15, seed: 1 });
  assertPartition(t, ss, 100);
  t.deepEqual([ss.train.length, ss.validation.length, ss.test.length], [70, 15, 15]);
});

test('time split: earliest rows train, latest test; dates parse; a bad time names its row', (t) => {
  const days = ['2024-03-05', '2024-01-01', '2024-02-10', '2024-01-20', '2024-04-01', '2024-03-30', '2024-02-01', '2024-01-10', '2024-02-20', '2024-03-15'];
  const table = Table.fromColumns({ day: days, v: days.map((_, i) => i) }, { file: 'events.csv' });
  const s = timeSplit(table, 'day', { validation: 0.2, test: 0.2 });
  const time = (r: number) => Date.parse(days[r]);
  const maxOf = (rows: Int32Array) => Math.max(...Array.from(rows, time));
  const minOf = (rows: Int32Array) => Math.min(...Array.from(rows, time));
  t.true(maxOf(s.train) < minOf(s.validation));
  t.true(maxOf(s.validation) < minOf(s.test));
  t.deepEqual(Array.from(s.test).sort(), [4, 5]);
  const numeric = timeSplit(Table.fromColumns({ ts: [5, 1, 4, 2, 3] }), 'ts', { validation: 0, test: 0.4 });
  t.deepEqual(Array.from(numeric.test), [2, 0]);
  t.throws(() => timeSplit(Table.fromColumns({ day: ['2024-01-01', 'soon'] }, { file: 'events.csv' }), 'day'), {
    message: "events.csv row 1, column 'day': 'soon' is not a time (a number or a date)",
  });
});

test('a column naming each row split', (t) => {
  const table = Table.fromColumns({ part: ['train', 'TEST', 'valid', 'train', 'dev'] }, { file: 'p.csv' });
  const s = columnSplit(table, 'part');
  t.deepEqual([Array.from(s.train), Array.from(s.validation), Array.from(s.test)], [[0, 3], [2, 4], [1]]);
  t.throws(() => columnSplit(Table.fromColumns({ part: ['train', 'holdout'] }, { file: 'p.csv' }), 'part'), {
    message: /^p\.csv row 1, column 'part': split 'holdout' is not one of/,
  });
  t.throws(() => columnSplit(table, 'nope'), { message: /^p\.csv: missing column 'nope'/ });
});

test('k-fold covers each row exactly once as test, plain and stratified', (t) => {
  const n = 103;
  const y = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 'a' : 'b'));
  const table = Table.fromColumns({ y });
  for (const folds of [kFold(n, 5, { seed: 1 }), kFold(table, 5, { seed: 1, stratify: 'y' })]) {
    t.is(folds.length, 5);
    const count = new Uint8Array(n);
    for (const f of folds) {
      for (const r of f.test) count[r]++;
      t.is(f.train.length + f.test.length, n);
      const inTest = new Set(f.test);
      t.true(Array.from(f.train).every((r) => !inTest.has(r)));
      t.true(f.test.length >= 20 && f.test.length <= 21);
    }
    t.true(count.every((c) => c === 1));
  }
  const strat = kFold(table, 5, { seed: 1, stratify: 'y' });
  for (const f of strat) {
    const a = Array.from(f.test).filter((r) => y[r] === 'a').length;
    t.true(a >= 4 && a <= 5, `fold has ${a} of class a`);
  }
  t.throws(() => kFold(n, 1), { message: /k must be an integer from 2/ });
});

test('splitTable and separate train / validation / test files', async (t) => {
  const table = Table.fromColumns({ x: [1, 2, 3, 4] });
  const parts = splitTable(table, { train: Int32Array.of(0, 1), validation: Int32Array.of(2), test: Int32Array.of(3) });
  t.is(parts.train.numRows, 2);
  t.is(parts.test.cell(0, 'x'), '4');
  const dir = tempDir();
  writeFileSync(join(dir, 'train.csv'), 'id,code,y\n1,10,yes\n2,20,no\n3,a,no\n');
  writeFileSync(join(dir, 'valid.csv'), 'id,code,y,extra\n4,10,yes,q\n');
  writeFileSync(join(dir, 'test.csv'), 'id,y\n5,no\n');
  const { train, validation } = await readSplitFiles({ train: join(dir, 'train.csv'), validation: join(dir, 'valid.csv') });
  // 'code' is categorical in the training file, so the validation file reads it the same way.
  t.is(train.schema().code, 'categorical');
  t.is(validation!.schema().code, 'categorical');
  t.deepEqual(validation!.columnNames, ['id', 'code', 'y']);
  await t.throwsAsync(readSplitFiles({ train: join(dir, 'train.csv'), test: join(dir, 'test.csv') }), { message: /^test\.csv: missing column 'code'/ });
});
