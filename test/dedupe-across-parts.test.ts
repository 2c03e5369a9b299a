// Duplicate rows over parts (src/distributed/dedupe.ts), in one process: 1 to 5 parts
// stepped together give exactly cleanTable's answer on the whole table, whatever the parts'
// layout; and the collectives the exchanges are written with behave as MPI's do.
import test from 'ava';
import { cleanTable, type ColumnType } from '../src/data/index.js';
import { dedupeParts, rowValueKeys } from '../src/distributed/dedupe.js';
import { allGather, allToAll, runInProcess, type Exchange } from '../src/distributed/exchange.js';
import { lcg, oneTable, partition, tableParts, type Raw } from './helpers/table-parts.js';

test('runInProcess: allGather and allToAll of uneven and empty parts, and the bytes each part received from the others', (t) => {
  function* both(rank: number, size: number): Exchange<string[][]> {
    const text = (s: string) => new TextEncoder().encode(s);
    const gathered = yield* allGather(text('x'.repeat(rank)));
    // Part p sends part q the string "p>q" repeated p times (nothing from part 0).
    const exchanged = yield* allToAll(Array.from({ length: size }, (_, q) => text(`${rank}>${q}`.repeat(rank))));
    const read = (b: Uint8Array) => new TextDecoder().decode(b);
    return [gathered.map(read), exchanged.map(read)];
  }
  for (const size of [1, 2, 3]) {
    const ran = runInProcess(Array.from({ length: size }, (_, r) => both(r, size)));
    ran.forEach(({ value: [gathered, exchanged], bytesReceived }, q) => {
      t.deepEqual(gathered, Array.from({ length: size }, (_, r) => 'x'.repeat(r)));
      t.deepEqual(exchanged, Array.from({ length: size }, (_, p) => `${p}>${q}`.repeat(p)));
      const fromOthers = gathered.reduce((n, s, r) => n + (r === q ? 0 : s.length), 0) + exchanged.reduce((n, s, p) => n + (p === q ? 0 : s.length), 0);
      t.is(bytesReceived, fromOthers, `${size} parts, part ${q}`);
    });
  }
});

/** Rows with repeats near and far, numbers that print alike (-0 and 0), missing cells, and strings holding the key's own separators. */
function rowsWithRepeats(n: number, seed: number): { raw: Raw; types: Record<string, ColumnType> } {
  const random = lcg(seed);
  const base = Array.from({ length: Math.ceil(n / 3) }, (_, k) => ({
    x: random() < 0.1 ? null : random() < 0.1 ? (random() < 0.5 ? -0 : 0) : Math.floor(random() * 4),
    s: random() < 0.1 ? null : ['a', 'b', 's1:a', 'n0;', '-', 'a;b'][Math.floor(random() * 6)],
    id: String(k % 7),
  }));
  const rows = Array.from({ length: n }, () => base[Math.floor(random() * base.length)]);
  return { raw: { x: rows.map((r) => r.x), s: rows.map((r) => r.s), id: rows.map((r) => r.id) }, types: { x: 'numeric', s: 'categorical', id: 'categorical' } };
}

test('the row keys are equal exactly when cleanTable finds two rows equal', (t) => {
  const { raw, types } = rowsWithRepeats(300, 1);
  const table = oneTable(raw, types);
  const keys = rowValueKeys(table);
  const kept = cleanTable(table).report.rowsOut;
  t.is(new Set(keys).size, kept);
  // Strings that would run together under a plain separator stay apart.
  const tricky = oneTable({ a: ['x', 'x;y'], b: ['y;z', 'z'] }, { a: 'categorical', b: 'categorical' });
  t.not(rowValueKeys(tricky)[0], rowValueKeys(tricky)[1]);
});

for (const [hashName, hash] of [
  ['53-bit hashes', undefined],
  ['a hash every row shares with many (so values decide)', (key: string) => key.length % 3],
] as const)
  test(`dedupe over 1 to 5 parts equals cleanTable on the whole table (${hashName})`, (t) => {
    for (const n of [0, 1, 40, 300]) {
      const { raw, types } = rowsWithRepeats(n, n + 7);
      const whole = cleanTable(oneTable(raw, types));
      // Each kept row's index among the kept rows, by its index in the whole table (row i is on line i + 2).
      const expected = new Float64Array(n).fill(-1);
      whole.table.lineNumbers.forEach((line, k) => (expected[line - 2] = k));
      for (let count = 1; count <= 5; count++)
        for (const layout of ['ranges', 'files'] as const) {
          const parts = tableParts(raw, types, partition(n, count, layout, lcg(count * 31 + n)));
          const ran = runInProcess(parts.map((p, rank) => dedupeParts(p.table, p.globalIndex, { rank, size: count }, hash)));
          const what = `${n} rows, ${count} parts (${layout})`;
          ran.forEach(({ value }, p) => {
            t.is(value.totalKept, whole.report.rowsOut, what);
            t.is(value.duplicateRows, whole.report.duplicateRows, what);
            t.deepEqual(value.duplicateRowLines, whole.report.duplicateRowLines, what);
            t.deepEqual(Array.from(value.keptIndex), Array.from(parts[p].globalIndex, (g) => expected[g]), `${what}, part ${p}`);
          });
        }
    }
  });
