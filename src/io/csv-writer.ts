// Writes columns as a CSV file (predictions, reports), atomically.
import { writeFileAtomic } from './atomic.js';

export type CsvColumnValues = ArrayLike<number> | readonly (string | number | null | undefined)[];

/** Quotes a field only when it holds the delimiter, a quote or a line break. */
function field(v: string | number | null | undefined, delimiter: string): string {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
  const s = String(v);
  return s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r') ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text of named columns of equal length (NaN, null and undefined become empty cells). */
export function formatCsv(columns: Record<string, CsvColumnValues>, options: { delimiter?: string } = {}): string {
  const d = options.delimiter ?? ',';
  const names = Object.keys(columns);
  const n = names.length ? columns[names[0]].length : 0;
  for (const name of names)
    if (columns[name].length !== n) throw new Error(`formatCsv: column '${name}' has ${columns[name].length} values, expected ${n}`);
  const lines: string[] = [names.map((x) => field(x, d)).join(d)];
  const cols = names.map((k) => columns[k] as ArrayLike<string | number | null | undefined>);
  for (let i = 0; i < n; i++) lines.push(cols.map((c) => field(c[i], d)).join(d));
  return lines.join('\n') + '\n';
}

/** Writes named columns to a CSV file atomically. */
export function writeCsv(path: string, columns: Record<string, CsvColumnValues>, options: { delimiter?: string } = {}): void {
  writeFileAtomic(path, formatCsv(columns, options));
}
