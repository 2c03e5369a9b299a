// Cleaning: drop duplicate rows and count, per column, missing, invalid and repeated values.
import type { Table } from './table.js';

export interface ColumnStats {
  column: string;
  type: string;
  missing: number;
  /** Cells that did not parse for the column's type (numeric columns), counted in the source file. */
  invalid: number;
  distinct: number;
  /** Present cells that repeat an earlier value of the column (present - distinct). */
  duplicateValues: number;
}

export interface CleaningReport {
  file: string;
  rowsIn: number;
  rowsOut: number;
  duplicateRows: number;
  /** Source lines of the first few dropped duplicates. */
  duplicateRowLines: number[];
  /** Rows dropped because a required column was missing. */
  droppedMissing: number;
  columns: ColumnStats[];
}

export interface CleanOptions {
  /** Drop exact duplicate rows, keeping the first (default true). */
  dedupe?: boolean;
  /** Drop rows where any of these columns is missing. */
  dropMissing?: readonly string[];
}

/** Per-column counts without changing anything. */
export function columnStats(table: Table): ColumnStats[] {
  return table.columns.map((c) => {
    let missing = 0;
    let distinct = 0;
    let invalid = 0;
    if (c.type === 'numeric') {
      const seen = new Set<number>();
      for (const v of c.values) {
        if (Number.isNaN(v)) missing++;
        else seen.add(v);
      }
      distinct = seen.size;
      // Invalid cells became NaN too; report them apart from truly empty cells.
      invalid = Math.min(missing, c.invalid);
      missing -= invalid;
    } else {
      const seen = new Uint8Array(c.dictionary.length);
      for (const code of c.codes) {
        if (code < 0) missing++;
        else if (!seen[code]) {
          seen[code] = 1;
          distinct++;
        }
      }
    }
    const present = table.numRows - missing - invalid;
    return { column: c.name, type: c.type, missing, invalid, distinct, duplicateValues: present - distinct };
  });
}

/** Removes duplicate rows (and rows missing required columns) and reports what it found. */
export function cleanTable(table: Table, options: CleanOptions = {}): { table: Table; report: CleaningReport } {
  const n = table.numRows;
  const keep = new Uint8Array(n).fill(1);
  let droppedMissing = 0;
  if (options.dropMissing) {
    table.requireColumns(options.dropMissing);
    for (const name of options.dropMissing) {
      const c = table.column(name);
      for (let i = 0; i < n; i++) {
        const miss = c.type === 'numeric' ? Number.isNaN(c.values[i]) : c.codes[i] < 0;
        if (miss && keep[i]) {
          keep[i] = 0;
          droppedMissing++;
        }
      }
    }
  }
  let duplicateRows = 0;
  const duplicateRowLines: number[] = [];
  if (options.dedupe ?? true) {
    const seen = new Set<string>();
    const cols = table.columns;
    const parts: string[] = new Array(cols.length);
    for (let i = 0; i < n; i++) {
      if (!keep[i]) continue;
      // Codes index the column's dictionary, so equal codes mean equal strings.
      for (let j = 0; j < cols.length; j++) {
        const c = cols[j];
        parts[j] = c.type === 'numeric' ? String(c.values[i]) : String(c.codes[i]);
      }
      const key = parts.join('\u0001');
      if (seen.has(key)) {
        keep[i] = 0;
        duplicateRows++;
        if (duplicateRowLines.length < 10) duplicateRowLines.push(table.lineNumbers[i]);
      } else seen.add(key);
    }
  }
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i]) rows.push(i);
  const out = rows.length === n ? table : table.select(rows);
  return {
    table: out,
    report: {
      file: table.file,
      rowsIn: n,
      rowsOut: out.numRows,
      duplicateRows,
      duplicateRowLines,
      droppedMissing,
      columns: columnStats(table),
    },
  };
}
