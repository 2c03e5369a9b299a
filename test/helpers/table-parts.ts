// One table and the same rows cut into parts, each part built on its own (its own
// dictionaries, as a rank reading its share builds them), with every row's index in the
// whole table and its line: for checking an exchange over parts against one process.
import { Table, type ColumnType } from '../../src/data/index.js';

export type Raw = Record<string, (string | number | null)[]>;

export interface TablePart {
  table: Table;
  globalIndex: Float64Array;
}

/** A small seeded generator (the tests' own, apart from the engine's). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function build(raw: Raw, rows: readonly number[], types: Record<string, ColumnType>, file: string): Table {
  const t = Table.fromColumns(Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, rows.map((i) => v[i])])), { types, file });
  // Line i + 2, as a CSV with a header would number row i.
  return new Table(t.columns, Int32Array.from(rows, (i) => i + 2), file);
}

export function oneTable(raw: Raw, types: Record<string, ColumnType>, file = 'data.csv'): Table {
  const n = Object.values(raw)[0].length;
  return build(raw, Array.from({ length: n }, (_, i) => i), types, file);
}

/**
 * The rows 0..n-1 as `count` parts: 'ranges' gives part p one run of rows (uneven, some
 * possibly empty); 'files' cuts the rows into files of random sizes and gives file k to
 * part k mod count, so a part holds several runs.
 */
export function partition(n: number, count: number, layout: 'ranges' | 'files', random: () => number): number[][] {
  const cuts = layout === 'ranges' ? count : Math.max(count, 3 * count);
  const bounds = [0, ...Array.from({ length: cuts - 1 }, () => Math.floor(random() * (n + 1))).sort((a, b) => a - b), n];
  const parts: number[][] = Array.from({ length: count }, () => []);
  for (let k = 0; k < cuts; k++) for (let i = bounds[k]; i < bounds[k + 1]; i++) parts[k % count].push(i);
  return parts;
}

export function tableParts(raw: Raw, types: Record<string, ColumnType>, rowsOfPart: readonly number[][], file = 'data.csv'): TablePart[] {
  return rowsOfPart.map((rows) => ({ table: build(raw, rows, types, file), globalIndex: Float64Array.from(rows) }));
}
