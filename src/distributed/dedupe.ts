// Duplicate rows over the parts of a data set, dropped as one process drops them
// (cleanTable): a row goes when an earlier row of the whole data set (by global index) has
// the same values. Each part first drops its own repeats, then sends the hash and global
// index of each remaining row to the part that owns the hash (hash mod W). An owner keeps,
// of each set of equal rows it received, the one with the smallest global index, fetching
// the rows' values from their parts wherever two rows share a hash (so a hash collision
// never drops a row), and tells each part which of its rows repeat an earlier one. A part
// thus receives 16 bytes for each distinct row it owns, not the whole data set's hashes.
import type { Table } from '../data/table.js';
import { allToAll, allToAllF64, gatherJson, type Exchange, type PartOf } from './exchange.js';

export interface Deduplicated {
  /** Each of this part's rows' index among the kept rows of the whole data set; -1 for a dropped repeat. */
  keptIndex: Float64Array;
  totalKept: number;
  /** Repeats over the whole data set, and the source lines of the first 10 in global order. */
  duplicateRows: number;
  duplicateRowLines: number[];
}

/**
 * Each row's values as one string, equal for two rows exactly when cleanTable finds them
 * equal (numbers by String, so -0 is 0 and NaN is NaN; strings by value, missing apart),
 * and unambiguous whatever the strings hold (each is prefixed with its length).
 */
export function rowValueKeys(table: Table): string[] {
  const out = new Array<string>(table.numRows);
  const parts = new Array<string>(table.numColumns);
  for (let i = 0; i < table.numRows; i++) {
    table.columns.forEach((c, j) => {
      if (c.type === 'numeric') parts[j] = `n${c.values[i]};`;
      else if (c.codes[i] < 0) parts[j] = '-';
      else {
        const s = c.dictionary[c.codes[i]];
        parts[j] = `s${s.length}:${s}`;
      }
    });
    out[i] = parts.join('');
  }
  return out;
}

/** A 53-bit hash of a string (two 32-bit FNV-style lanes). */
export function hash53(key: string): number {
  let h1 = 0x811c9dc5, h2 = 0x9747b28c;
  for (let k = 0; k < key.length; k++) {
    const ch = key.charCodeAt(k);
    h1 = Math.imul(h1 ^ ch, 0x01000193);
    h2 = Math.imul(h2 ^ ch, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return (h1 >>> 0) * 2097152 + ((h2 >>> 0) >>> 11);
}

const encoder = new TextEncoder(), decoder = new TextDecoder();
const positionsOf = (rows: readonly number[]): Uint8Array => new Uint8Array(Uint32Array.from(rows).buffer);
const positionsIn = (b: Uint8Array): Uint32Array => new Uint32Array(b.slice().buffer);

/**
 * Which of this part's rows repeat an earlier row of the whole data set. `globalIndex`
 * must ascend (a part's rows in the order one process reads them). `hash` is for tests
 * that force collisions. Collective over the parts.
 */
export function* dedupeParts(table: Table, globalIndex: Float64Array, part: PartOf, hash: (key: string) => number = hash53): Exchange<Deduplicated> {
  const n = table.numRows;
  const W = part.size;
  const repeat = new Uint8Array(n);
  const keys = rowValueKeys(table);
  // sent[q]: the rows sent to owner q, in the order sent.
  const sent: number[][] = Array.from({ length: W }, () => []);
  const hashes = new Float64Array(n);
  const seenHere = new Set<string>();
  for (let i = 0; i < n; i++) {
    if (seenHere.has(keys[i])) repeat[i] = 1;
    else {
      seenHere.add(keys[i]);
      hashes[i] = hash(keys[i]);
      sent[hashes[i] % W].push(i);
    }
  }
  seenHere.clear();
  const received = yield* allToAllF64(
    sent.map((rows) => {
      const out = new Float64Array(2 * rows.length);
      rows.forEach((i, k) => ((out[2 * k] = hashes[i]), (out[2 * k + 1] = globalIndex[i])));
      return out;
    }),
  );

  // As owner: the records received, sorted by hash then global index; a hash that several
  // rows share needs their values.
  const from: number[] = [], at: number[] = [];
  received.forEach((r, q) => {
    for (let k = 0; 2 * k < r.length; k++) from.push(q), at.push(k);
  });
  const hashAt = (m: number): number => received[from[m]][2 * at[m]];
  const indexAt = (m: number): number => received[from[m]][2 * at[m] + 1];
  const order = Array.from(from, (_, m) => m).sort((a, b) => hashAt(a) - hashAt(b) || indexAt(a) - indexAt(b));
  const shared: number[][] = [];
  for (let k = 0; k < order.length; ) {
    let e = k + 1;
    while (e < order.length && hashAt(order[e]) === hashAt(order[k])) e++;
    if (e - k > 1) shared.push(order.slice(k, e));
    k = e;
  }
  const ask: number[][] = Array.from({ length: W }, () => []);
  for (const group of shared) for (const m of group) ask[from[m]].push(at[m]);
  const asked = yield* allToAll(ask.map(positionsOf));
  const answers = yield* allToAll(asked.map((b, q) => encoder.encode(JSON.stringify(Array.from(positionsIn(b), (k) => keys[sent[q][k]])))));

  // The values come back in the order asked for; of each value, the earliest row stays.
  const answered = answers.map((b) => JSON.parse(decoder.decode(b)) as string[]);
  const nextAnswer = new Array<number>(W).fill(0);
  const tell: number[][] = Array.from({ length: W }, () => []);
  for (const group of shared) {
    const seen = new Set<string>();
    for (const m of group) {
      const value = answered[from[m]][nextAnswer[from[m]]++];
      if (seen.has(value)) tell[from[m]].push(at[m]);
      else seen.add(value);
    }
  }
  const told = yield* allToAll(tell.map(positionsOf));
  told.forEach((b, q) => {
    for (const k of positionsIn(b)) repeat[sent[q][k]] = 1;
  });
  return yield* keptPlaces(table, globalIndex, repeat);
}

/**
 * Each kept row's index among every part's kept rows, and the counts and first lines of the
 * repeats: every part describes its runs of consecutive global indices (one per file it
 * read, not one per row) with their kept counts, and its first 10 repeats.
 */
export function* keptPlaces(table: Table, globalIndex: Float64Array, repeat: Uint8Array): Exchange<Deduplicated> {
  const n = table.numRows;
  const runs: { start: number; rows: number; kept: number }[] = [];
  const firstRepeats: [number, number][] = [];
  let repeats = 0;
  for (let i = 0; i < n; i++) {
    if (!runs.length || globalIndex[i] !== globalIndex[i - 1] + 1) runs.push({ start: globalIndex[i], rows: 0, kept: 0 });
    const run = runs[runs.length - 1];
    run.rows++;
    if (!repeat[i]) run.kept++;
    else if (repeats++ < 10) firstRepeats.push([globalIndex[i], table.lineNumbers[i]]);
  }
  const all = yield* gatherJson({ runs, repeats, firstRepeats });
  const everyRun = all.flatMap((a) => a.runs).sort((a, b) => a.start - b.start);
  const keptBefore = new Map<number, number>();
  let totalKept = 0;
  for (const r of everyRun) {
    keptBefore.set(r.start, totalKept);
    totalKept += r.kept;
  }
  const keptIndex = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (i === 0 || globalIndex[i] !== globalIndex[i - 1] + 1) k = keptBefore.get(globalIndex[i])!;
    keptIndex[i] = repeat[i] ? -1 : k++;
  }
  const duplicateRowLines = all
    .flatMap((a) => a.firstRepeats)
    .sort((a, b) => a[0] - b[0])
    .slice(0, 10)
    .map(([, line]) => line);
  return { keptIndex, totalKept, duplicateRows: all.reduce((s, a) => s + a.repeats, 0), duplicateRowLines };
}
