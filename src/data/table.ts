// A Table is columnar: one typed array per column, no per-row objects. Numbers are
// Float64Array with NaN for missing; strings are dictionary-encoded (Int32Array codes into
// a string dictionary, -1 for missing), so fitting and applying vocabularies touches each
// distinct string once.

export type ColumnType = 'numeric' | 'categorical' | 'multihot' | 'text';

export interface NumericColumn {
  readonly name: string;
  readonly type: 'numeric';
  readonly values: Float64Array;
  /** Non-empty cells that did not parse as numbers (now NaN), counted in the source file. */
  readonly invalid: number;
  /** The first such cell and its source line (0 when the table is not from a file). */
  readonly invalidExample?: { cell: string; line: number };
}

export interface StringColumn {
  readonly name: string;
  readonly type: 'categorical' | 'multihot' | 'text';
  /** Index into `dictionary` per row; -1 for missing. */
  readonly codes: Int32Array;
  readonly dictionary: readonly string[];
}

export type Column = NumericColumn | StringColumn;

/** What reading a CSV file found: dialect, bad rows, inferred types. */
export interface ReadReport {
  file: string;
  delimiter: string;
  quote: string;
  gzip: boolean;
  /** Data rows kept (header excluded). */
  rows: number;
  /** Rows that were ragged or had unparsable quotes (skipped in 'skip' mode). */
  badRows: number;
  /** The first few bad rows: line number and what was wrong. */
  badRowSamples: { line: number; message: string }[];
  types: Record<string, ColumnType>;
}

export class Table {
  readonly numRows: number;
  private readonly byName = new Map<string, Column>();

  constructor(
    readonly columns: readonly Column[],
    /** The source line number of each row (for error messages); 0 when not from a file. */
    readonly lineNumbers: Int32Array,
    /** The source (file name) used in error messages. */
    readonly file = '<table>',
    readonly report?: ReadReport,
    /** For a table read from several files: each row's file, for messages. */
    readonly rowFiles?: { names: readonly string[]; index: Uint16Array },
  ) {
    this.numRows = lineNumbers.length;
    for (const c of columns) {
      const n = c.type === 'numeric' ? c.values.length : c.codes.length;
      if (n !== this.numRows) throw new Error(`Table: column '${c.name}' has ${n} rows, expected ${this.numRows}`);
      if (this.byName.has(c.name)) throw new Error(`Table: duplicate column name '${c.name}' in ${file}`);
      this.byName.set(c.name, c);
    }
  }

  get columnNames(): string[] {
    return this.columns.map((c) => c.name);
  }

  get numColumns(): number {
    return this.columns.length;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The column, or a clear error naming it and the file. */
  column(name: string): Column {
    const c = this.byName.get(name);
    if (!c) throw missingColumnError(this, name);
    return c;
  }

  /** Throws one error listing every name that is not a column. */
  requireColumns(names: readonly string[]): void {
    const missing = names.filter((n) => !this.byName.has(n));
    if (missing.length === 1) throw missingColumnError(this, missing[0]);
    if (missing.length > 1)
      throw new Error(`${this.file}: missing columns ${missing.map((m) => `'${m}'`).join(', ')} (columns are: ${this.columnNames.join(', ')})`);
  }

  schema(): Record<string, ColumnType> {
    const s: Record<string, ColumnType> = {};
    for (const c of this.columns) s[c.name] = c.type;
    return s;
  }

  /** The cell as a string ('' for missing): for messages and debugging, not hot loops. */
  cell(row: number, name: string): string {
    const c = this.column(name);
    if (c.type === 'numeric') return Number.isNaN(c.values[row]) ? '' : String(c.values[row]);
    const code = c.codes[row];
    return code < 0 ? '' : c.dictionary[code];
  }

  /** "file.csv line 17" for row i. */
  where(row: number): string {
    const line = this.lineNumbers[row];
    const file = this.rowFiles ? this.rowFiles.names[this.rowFiles.index[row]] : this.file;
    return line > 0 ? `${file} line ${line}` : `${file} row ${row}`;
  }

  /** A new table with the given rows, in that order (dictionaries are shared). */
  select(rows: ArrayLike<number>): Table {
    const n = rows.length;
    const lines = new Int32Array(n);
    for (let i = 0; i < n; i++) lines[i] = this.lineNumbers[rows[i]];
    let rowFiles: Table['rowFiles'];
    if (this.rowFiles) {
      const index = new Uint16Array(n);
      for (let i = 0; i < n; i++) index[i] = this.rowFiles.index[rows[i]];
      rowFiles = { names: this.rowFiles.names, index };
    }
    const cols = this.columns.map((c): Column => {
      if (c.type === 'numeric') {
        const v = new Float64Array(n);
        for (let i = 0; i < n; i++) v[i] = c.values[rows[i]];
        return { name: c.name, type: 'numeric', values: v, invalid: c.invalid, ...(c.invalidExample ? { invalidExample: c.invalidExample } : {}) };
      }
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = c.codes[rows[i]];
      return { name: c.name, type: c.type, codes, dictionary: c.dictionary };
    });
    return new Table(cols, lines, this.file, this.report, rowFiles);
  }

  /** A new table without the named columns. */
  drop(names: readonly string[]): Table {
    const set = new Set(names);
    return new Table(this.columns.filter((c) => !set.has(c.name)), this.lineNumbers, this.file, this.report, this.rowFiles);
  }

  /** Builds a table from plain arrays (tests, small in-memory data); types are inferred unless given. */
  static fromColumns(
    data: Record<string, readonly (string | number | null | undefined)[]>,
    options: { types?: Record<string, ColumnType>; file?: string } = {},
  ): Table {
    const names = Object.keys(data);
    const n = names.length ? data[names[0]].length : 0;
    const cols: Column[] = [];
    for (const name of names) {
      const raw = data[name];
      if (raw.length !== n) throw new Error(`Table.fromColumns: column '${name}' has ${raw.length} values, expected ${n}`);
      const builder = new StringColumnBuilder();
      for (const v of raw) builder.push(v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? '' : String(v));
      cols.push(builder.finish(name, options.types?.[name], DEFAULT_MISSING, '|', { file: options.file ?? '<table>' }));
    }
    return new Table(cols, new Int32Array(n), options.file ?? '<table>');
  }
}

function missingColumnError(t: Table, name: string): Error {
  return new Error(`${t.file}: missing column '${name}' (columns are: ${t.columnNames.join(', ')})`);
}

/**
 * Cells read as missing by default. Words that are real levels in survey and census data
 * ('None', 'N/A', '?', 'unknown') are not here: a census column whose most common level is
 * None must keep it. 'nan' is what Python's str() writes for a missing float and 'NULL' what
 * SQL exports write; neither is a word a category would use.
 */
export const DEFAULT_MISSING: readonly string[] = ['', 'NA', 'NaN', 'nan', 'null', 'NULL'];

/**
 * An id-like column name: id, ID, Id, or ending in _id / -id / .id / " id" (any case), or a
 * camelCase Id / ID suffix (userId, movieID). Lower-case run-together names (userid) are
 * not matched, since words such as 'paid' and 'valid' end in id too.
 */
export function looksLikeIdName(name: string): boolean {
  return /(^|[_\-.\s])id$/i.test(name) || /[a-z0-9](Id|ID)$/.test(name);
}

/** Parses a number cell strictly (no trailing junk); NaN when it is not a number. */
export function parseNumber(s: string): number {
  const t = s.trim();
  if (t === '') return NaN;
  const v = Number(t);
  if (Number.isNaN(v)) return NaN;
  // Number('0x10') and Number('Infinity') parse; we only accept decimal numbers.
  return Number.isFinite(v) && !/^[+-]?0[xob]/i.test(t) ? v : NaN;
}

/**
 * Collects one column's cells while a file streams, dictionary-encoding them; the type is
 * decided at the end (inferred from the distinct values, or the user's override).
 */
export class StringColumnBuilder {
  private dict = new Map<string, number>();
  private strings: string[] = [];
  private counts: number[] = [];
  private codes = new Int32Array(1024);
  length = 0;

  push(cell: string): void {
    let code = this.dict.get(cell);
    if (code === undefined) {
      code = this.strings.length;
      this.dict.set(cell, code);
      this.strings.push(cell);
      this.counts.push(0);
    }
    this.counts[code]++;
    if (this.length === this.codes.length) {
      const bigger = new Int32Array(this.codes.length * 2);
      bigger.set(this.codes);
      this.codes = bigger;
    }
    this.codes[this.length++] = code;
  }

  /**
   * `source` names the file and gives each row's line, for errors and examples. A column
   * declared numeric (`override`) in which more than half of the present cells are not
   * numbers is an error: it would otherwise become all-missing without a word.
   */
  finish(
    name: string,
    override: ColumnType | undefined,
    missing: readonly string[],
    multiHotSeparator = '|',
    source: { file: string; lines?: Int32Array } = { file: '<table>' },
  ): Column {
    const missingSet = new Set(missing);
    const isMissing = this.strings.map((s) => missingSet.has(s.trim()));
    let type = override ?? inferType(this.strings, this.counts, isMissing, multiHotSeparator);
    // userId, movieId: integer ids are labels, not quantities.
    if (!override && type === 'numeric' && looksLikeIdName(name) && this.strings.every((s, i) => isMissing[i] || Number.isInteger(parseNumber(s))))
      type = 'categorical';
    const codes = this.codes.subarray(0, this.length);
    if (type === 'numeric') {
      const numbers = this.strings.map((s, i) => (isMissing[i] ? NaN : parseNumber(s)));
      let invalid = 0;
      let present = 0;
      let firstInvalidCode = -1;
      for (let i = 0; i < numbers.length; i++) {
        if (isMissing[i]) continue;
        present += this.counts[i];
        if (Number.isNaN(numbers[i])) invalid += this.counts[i];
      }
      const values = new Float64Array(this.length);
      let invalidExample: { cell: string; line: number } | undefined;
      for (let i = 0; i < this.length; i++) {
        const code = codes[i];
        values[i] = numbers[code];
        if (firstInvalidCode < 0 && !isMissing[code] && Number.isNaN(numbers[code])) {
          firstInvalidCode = code;
          invalidExample = { cell: this.strings[code], line: source.lines?.[i] ?? 0 };
        }
      }
      if (invalidExample && invalid * 2 > present) {
        const where = invalidExample.line > 0 ? `${source.file} line ${invalidExample.line}` : source.file;
        throw new Error(
          `${where}, column '${name}': declared numeric but ${invalid} of its ${present} present cells are not numbers (e.g. '${invalidExample.cell}'); declare it categorical or text, or fix the cells`,
        );
      }
      return invalidExample ? { name, type, values, invalid, invalidExample } : { name, type, values, invalid };
    }
    // Re-encode so the dictionary holds only present, non-missing strings.
    const remap = new Int32Array(this.strings.length).fill(-1);
    const dictionary: string[] = [];
    for (let i = 0; i < this.strings.length; i++) {
      if (isMissing[i]) continue;
      remap[i] = dictionary.length;
      dictionary.push(this.strings[i]);
    }
    const out = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = remap[codes[i]];
    return { name, type, codes: out, dictionary };
  }
}

/**
 * Heuristics over distinct values (weighted by their counts):
 * numeric when at least 95% of present cells parse as numbers; multi-hot when most values
 * hold the separator; text when values average 3+ words or are long and mostly unique;
 * categorical otherwise.
 */
export function inferType(strings: readonly string[], counts: readonly number[], isMissing: readonly boolean[], multiHotSeparator = '|'): ColumnType {
  let present = 0;
  let numeric = 0;
  let withSep = 0;
  let words = 0;
  let chars = 0;
  let distinct = 0;
  for (let i = 0; i < strings.length; i++) {
    if (isMissing[i]) continue;
    const c = counts[i];
    const s = strings[i];
    present += c;
    distinct++;
    if (!Number.isNaN(parseNumber(s))) numeric += c;
    if (multiHotSeparator && s.includes(multiHotSeparator)) withSep += c;
    words += c * s.trim().split(/\s+/).length;
    chars += c * s.length;
  }
  if (present === 0) return 'categorical';
  if (numeric / present >= 0.95) return 'numeric';
  if (withSep / present >= 0.5) return 'multihot';
  if (words / present >= 3 || (chars / present >= 20 && distinct / present > 0.5)) return 'text';
  return 'categorical';
}
