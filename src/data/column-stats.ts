// What a fit needs of one column, summarised on one part of the training rows and merged
// across parts exactly: counts per value, exact sums, extremes, the first row a message
// quotes. Nothing here holds a row beyond the part it was computed on.
import { asNumbers, asStrings } from './columns.js';
import { ExactSumBuilder, mergeSums, type ExactSum } from '../shared/exact-sum.js';
import { keyLess, sortedPresent } from './order-key.js';
import type { TrainingPart } from './training-parts.js';

/** A row a message may quote: its place in the whole training table, where it is, and its cell. */
export interface RowExample {
  key: number;
  where: string;
  cell: string;
}

/** The example of the row that comes first in the whole table. */
export function firstExample(a: RowExample | null, b: RowExample | null): RowExample | null {
  if (!a) return b;
  if (!b) return a;
  return b.key < a.key ? b : a;
}

/** `${file} line N`, or `${file} row N` for a row with no source line (N its place in the whole table). */
export function rowWhere(part: TrainingPart, i: number): string {
  return part.table.lineNumbers[i] > 0 ? part.table.where(i) : `${part.table.file} row ${part.rowKey(i)}`;
}

/** `line N` or `row N`, without the file. */
export function rowLine(part: TrainingPart, i: number): string {
  const line = part.table.lineNumbers[i];
  return line > 0 ? `line ${line}` : `row ${part.rowKey(i)}`;
}

// ---- counts per value -------------------------------------------------------------------

/** [value, count] pairs (any order). */
export type ValueCounts = [string, number][];

export function mergeCounts(a: ValueCounts, b: ValueCounts): ValueCounts {
  const m = new Map(a);
  for (const [s, n] of b) m.set(s, (m.get(s) ?? 0) + n);
  return [...m];
}

/** How many rows hold each present value (numbers as their shortest text). */
export function valueCounts(part: TrainingPart, column: string): ValueCounts {
  const view = asStrings(part.table.column(column));
  const perCode = new Float64Array(view.dictionary.length);
  for (const c of view.codes) if (c >= 0) perCode[c]++;
  const counts = new Map<string, number>();
  perCode.forEach((n, c) => n && counts.set(view.dictionary[c], (counts.get(view.dictionary[c]) ?? 0) + n));
  return [...counts];
}

/** A multi-hot cell's distinct tags, trimmed, in order. */
export function splitBag(cell: string, separator: string): string[] {
  const out: string[] = [];
  for (const t of cell.split(separator)) {
    const s = t.trim();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** How many rows hold each tag of a bag column (a tag repeated in one cell counts once). */
export function bagCounts(part: TrainingPart, column: string, separator: string): ValueCounts {
  const view = asStrings(part.table.column(column));
  const perCode = new Float64Array(view.dictionary.length);
  for (const c of view.codes) if (c >= 0) perCode[c]++;
  const counts = new Map<string, number>();
  perCode.forEach((n, c) => {
    if (n) for (const tok of splitBag(view.dictionary[c], separator)) counts.set(tok, (counts.get(tok) ?? 0) + n);
  });
  return [...counts];
}

// ---- numeric columns --------------------------------------------------------------------

/** Cells of a numeric feature's column that are not numbers. */
export interface CellSummary {
  /**
   * The column was read as numbers, so the reader counted its bad cells, for the whole
   * file: every part carries the same count and example, which merging keeps.
   */
  fromReader: boolean;
  invalid: number;
  /** Present cells of these rows (only for a column not read as numbers). */
  present: number;
  /** The first bad cell, as the message quotes it: ` (e.g. 'x' on line N)`, or '' when the reader kept none. */
  example: { key: number; text: string } | null;
}

export interface NumericSummary {
  /** Rows whose value is a number. */
  present: number;
  sum: ExactSum;
  /** In sort order (-0 before +0); null without a present value. */
  min: number | null;
  max: number | null;
  cells: CellSummary;
  /**
   * Each part's [min, max] when on that part every row holds an integer distinct from the
   * part's others; null as soon as one part does not (then no two parts need comparing).
   */
  distinctIntegerRanges: [number, number][] | null;
}

export function summarizeNumeric(part: TrainingPart, column: string): NumericSummary {
  const col = part.table.column(column);
  const { values } = asNumbers(col);
  const sum = new ExactSumBuilder();
  let present = 0;
  let min: number | null = null;
  let max: number | null = null;
  let integers = true;
  for (const v of values) {
    if (Number.isNaN(v)) {
      integers = false;
      continue;
    }
    present++;
    sum.add(v);
    if (min === null || keyLess(v, min)) min = v;
    if (max === null || keyLess(max, v)) max = v;
    if (!Number.isInteger(v)) integers = false;
  }
  let distinctIntegerRanges: [number, number][] | null = null;
  // Fewer integers in [min, max] than values means a repeat, without sorting.
  if (integers && present > 0 && max! - min! + 1 < present) integers = false;
  if (integers) {
    const sorted = sortedPresentOf(part, column);
    let distinct = true;
    for (let i = 1; i < sorted.length && distinct; i++) distinct = sorted[i] !== sorted[i - 1];
    if (distinct) distinctIntegerRanges = min === null ? [] : [[min, max!]];
  }
  return { present, sum: sum.finish(), min, max, cells: summarizeCells(part, column), distinctIntegerRanges };
}

export function mergeNumeric(a: NumericSummary, b: NumericSummary): NumericSummary {
  return {
    present: a.present + b.present,
    sum: mergeSums(a.sum, b.sum),
    min: a.min === null ? b.min : b.min === null || !keyLess(b.min, a.min) ? a.min : b.min,
    max: a.max === null ? b.max : b.max === null || !keyLess(a.max, b.max) ? a.max : b.max,
    cells: mergeCells(a.cells, b.cells),
    distinctIntegerRanges: a.distinctIntegerRanges && b.distinctIntegerRanges ? [...a.distinctIntegerRanges, ...b.distinctIntegerRanges] : null,
  };
}

export function summarizeCells(part: TrainingPart, column: string): CellSummary {
  const col = part.table.column(column);
  if (col.type === 'numeric') {
    const ex = col.invalidExample;
    const text = ex ? ` (e.g. '${ex.cell}'${ex.line > 0 ? ` on line ${ex.line}` : ''})` : '';
    return { fromReader: true, invalid: col.invalid, present: 0, example: col.invalid ? { key: 0, text } : null };
  }
  const { invalidRows } = asNumbers(col);
  let present = 0;
  for (const c of col.codes) if (c >= 0) present++;
  let first = -1;
  for (const i of invalidRows) if (first < 0 || part.rowKey(i) < part.rowKey(first)) first = i;
  const example = first < 0 ? null : { key: part.rowKey(first), text: ` (e.g. '${part.table.cell(first, column)}' on ${rowLine(part, first)})` };
  return { fromReader: false, invalid: invalidRows.length, present, example };
}

function mergeCells(a: CellSummary, b: CellSummary): CellSummary {
  if (a.fromReader) return a;
  const example = !a.example ? b.example : !b.example || a.example.key <= b.example.key ? a.example : b.example;
  return { fromReader: false, invalid: a.invalid + b.invalid, present: a.present + b.present, example };
}

const sortedCache = new WeakMap<TrainingPart, Map<string, Float64Array>>();

/** The part's present values of a column in sort order, computed once per part and column. */
export function sortedPresentOf(part: TrainingPart, column: string): Float64Array {
  let byColumn = sortedCache.get(part);
  if (!byColumn) sortedCache.set(part, (byColumn = new Map()));
  let sorted = byColumn.get(column);
  if (!sorted) byColumn.set(column, (sorted = sortedPresent(asNumbers(part.table.column(column)).values)));
  return sorted;
}

// ---- rows and positives per group, for the leak check -----------------------------------

/** [group, labelled rows, positive rows]: a feature's values (null: missing). */
export type LabelGroups = [string | null, number, number][];

export function mergeGroups(a: LabelGroups, b: LabelGroups): LabelGroups {
  const m = new Map<string | null, [number, number]>(a.map(([g, n, p]) => [g, [n, p]]));
  for (const [g, n, p] of b) {
    const had = m.get(g);
    m.set(g, had ? [had[0] + n, had[1] + p] : [n, p]);
  }
  return [...m].map(([g, [n, p]]) => [g, n, p]);
}

/**
 * Labelled rows and positives per group of a column, for each of several binary labellings
 * (0 / 1, NaN for unlabelled): each value of a categorical column, or missing / present
 * cells of a numeric one.
 */
export function labelGroups(part: TrainingPart, column: string, by: 'value' | 'missing', labellings: readonly ArrayLike<number>[]): LabelGroups[] {
  const col = part.table.column(column);
  const n = part.table.numRows;
  const groupOf = new Int32Array(n);
  let names: (string | null)[];
  if (by === 'value') {
    const view = asStrings(col);
    for (let i = 0; i < n; i++) groupOf[i] = view.codes[i] + 1;
    names = [null, ...view.dictionary];
  } else {
    const { values } = asNumbers(col);
    for (let i = 0; i < n; i++) groupOf[i] = Number.isNaN(values[i]) ? 0 : 1;
    names = [null, 'present'];
  }
  return labellings.map((labels) => {
    const rows = new Float64Array(names.length);
    const positives = new Float64Array(names.length);
    for (let i = 0; i < n; i++) {
      const y = labels[i];
      if (Number.isNaN(y)) continue;
      rows[groupOf[i]]++;
      positives[groupOf[i]] += y;
    }
    const out: LabelGroups = [];
    names.forEach((g, k) => rows[k] && out.push([g, rows[k], positives[k]]));
    return out;
  });
}
