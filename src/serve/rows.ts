// Raw JSON rows -> checked, columnar blocks. A request's rows are checked once, on
// arrival, so one bad row fails only its own request; the micro-batcher later joins the
// blocks of many requests into one table.
import { DEFAULT_MISSING, type FeaturePipeline } from '../data/index.js';
import { badRequest, ServeError } from './errors.js';

/** How one input column is read from JSON. */
export interface InputColumn {
  column: string;
  kind: 'numeric' | 'categorical' | 'multihot' | 'text';
  /** Multi-hot: an array cell is joined with this separator. */
  separator: string;
}

/** The checked cells of one request's rows, column by column. */
export interface RowBlock {
  size: number;
  /** The raw rows, kept to re-check them if the model is swapped before their batch runs. */
  rows: readonly Record<string, unknown>[];
  /** The columns the cells were checked against. */
  columns: readonly InputColumn[];
  /** Numeric columns: NaN for a missing value. */
  numbers: Map<string, Float64Array>;
  /** String columns: null for a missing value. */
  strings: Map<string, (string | null)[]>;
}

export interface RowLimits {
  /** The most rows one request may carry (more is a 413). */
  maxRows: number;
}

// Cells the CSV reader treats as missing (the same tokens, so a category such as 'None' is
// a value here as in training); JSON clients may send them too, or null.
const MISSING = new Set(DEFAULT_MISSING);
// Not finite: refused in a numeric column ('NaN' included) rather than read as missing.
const NOT_FINITE = /^[+-]?(nan|inf|infinity)$/i;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function inputColumns(pipeline: FeaturePipeline): InputColumn[] {
  const out = new Map<string, InputColumn>();
  for (const f of pipeline.features) {
    if (out.has(f.column)) continue;
    out.set(f.column, { column: f.column, kind: f.kind, separator: f.kind === 'multihot' ? f.separator : '|' });
  }
  return [...out.values()];
}

/** The rows of a request body: `{"rows": [...]}` or `{"row": {...}}`. */
export function rowsOfBody(body: unknown, limits: RowLimits): Record<string, unknown>[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('body_not_object', `the body must be a JSON object with "rows" (an array of rows) or "row" (one row), got ${describe(body)}`);
  const b = body as Record<string, unknown>;
  let rows: unknown[];
  if (b.rows !== undefined) {
    if (!Array.isArray(b.rows)) throw badRequest('rows_not_array', `"rows" must be an array of row objects, got ${describe(b.rows)}`);
    rows = b.rows;
  } else if (b.row !== undefined) {
    rows = [b.row];
  } else {
    throw badRequest('no_rows', 'the body has neither "rows" (an array of rows) nor "row" (one row)');
  }
  if (rows.length === 0) throw badRequest('empty_rows', '"rows" is empty: send at least one row');
  if (rows.length > limits.maxRows)
    throw new ServeError(413, 'too_many_rows', `${rows.length} rows in one request; the limit is ${limits.maxRows} (split the request)`);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw badRequest('row_not_object', `row ${i} must be an object of column: value, got ${describe(r)}`);
  }
  return rows as Record<string, unknown>[];
}

/**
 * Checks every input cell of the rows and stores them column by column. `rowNumbers` are
 * the rows' positions in the request (for messages), when these are only some of its rows.
 */
export function checkRows(rows: readonly Record<string, unknown>[], columns: readonly InputColumn[], rowNumbers?: readonly number[]): RowBlock {
  try {
    return checkAll(rows, columns);
  } catch (e) {
    if (!rowNumbers || !(e instanceof ServeError)) throw e;
    // Name the row as the client numbered it.
    throw new ServeError(e.status, e.kind, e.message.replace(/^row (\d+)/, (_, i) => `row ${rowNumbers[Number(i)]}`));
  }
}

function checkAll(rows: readonly Record<string, unknown>[], columns: readonly InputColumn[]): RowBlock {
  const n = rows.length;
  const block: RowBlock = { size: n, rows, columns, numbers: new Map(), strings: new Map() };
  for (const c of columns) {
    if (c.kind === 'numeric') {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = numberCell(rows[i], c.column, i);
      block.numbers.set(c.column, values);
    } else {
      const values: (string | null)[] = new Array(n);
      for (let i = 0; i < n; i++) values[i] = stringCell(rows[i], c, i);
      block.strings.set(c.column, values);
    }
  }
  return block;
}

function cellOf(row: Record<string, unknown>, column: string, i: number): unknown {
  const v = row[column];
  if (v === undefined && !Object.hasOwn(row, column))
    throw badRequest('missing_column', `row ${i}: missing feature column '${column}' (send null for a missing value)`);
  return v;
}

function numberCell(row: Record<string, unknown>, column: string, i: number): number {
  const v = cellOf(row, column, i);
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw badRequest('not_finite', `row ${i}, column '${column}': ${v} is not a finite number`);
    return v;
  }
  if (typeof v === 'string') {
    const s = v.trim();
    if (NOT_FINITE.test(s)) throw badRequest('not_finite', `row ${i}, column '${column}': '${v}' is not a finite number (send null for a missing value)`);
    if (MISSING.has(s)) return NaN;
    if (DECIMAL.test(s)) {
      const x = Number(s);
      if (Number.isFinite(x)) return x;
      throw badRequest('not_finite', `row ${i}, column '${column}': '${v}' is not a finite number`);
    }
  }
  throw badRequest('wrong_type', `row ${i}, column '${column}' is numeric, got ${describe(v)}`);
}

function stringCell(row: Record<string, unknown>, c: InputColumn, i: number): string | null {
  const v = cellOf(row, c.column, i);
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return MISSING.has(v.trim()) ? null : v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw badRequest('not_finite', `row ${i}, column '${c.column}': ${v} is not a finite number`);
    return String(v);
  }
  if (typeof v === 'boolean') return String(v);
  if (c.kind === 'multihot' && Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number'))
    return v.length ? v.join(c.separator) : null;
  throw badRequest('wrong_type', `row ${i}, column '${c.column}' is ${c.kind}: expected a string${c.kind === 'multihot' ? ' or an array of strings' : ''}, got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
