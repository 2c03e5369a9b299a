// Parquet input (hyparquet, with snappy, gzip, zstd, brotli and lz4 through
// hyparquet-compressors) into the same Table a CSV gives: every value goes through the same
// type inference and missing-value rules, so a model fitted on a CSV applies to Parquet rows.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DEFAULT_MISSING, StringColumnBuilder, Table, type Column, type ColumnType } from './table.js';

export interface ParquetOptions {
  /** Type overrides per column; other columns are inferred as for CSV. */
  types?: Record<string, ColumnType>;
  /** Columns that must be present. */
  required?: readonly string[];
  /** Keep only these columns. */
  columns?: readonly string[];
  /** Name used in messages (defaults to the file's base name). */
  name?: string;
  /**
   * Read only share `index` of `count` of the rows: rows [floor(n index / count), floor(n
   * (index + 1) / count)) of the file's n (hyparquet decodes only the row groups and pages
   * they fall in). A share may be empty.
   */
  share?: { index: number; count: number };
  /** Keep every cell as its text (categorical columns), for a caller that types the columns itself over more rows than these. */
  asText?: boolean;
}

/** A Parquet file's rows read by readParquetPart: the table, the file's row count and its columns' types. */
export interface ParquetPart {
  table: Table;
  /** Rows in the whole file. */
  fileRows: number;
  /** The first row read (0 unless a share was asked for). */
  rowStart: number;
  /** Each top-level column's Parquet type, as 'DOUBLE', 'BYTE_ARRAY (UTF8)', 'group (LIST)', ... */
  columnTypes: Record<string, string>;
}

/**
 * What a column's values read as, from its type in words (describeType's): 'number',
 * 'string', 'boolean', 'time', 'bytes', 'json' or 'nested'. Files whose writers chose
 * other physical types or annotations for the same values (INT32 and INT64, UTF8 and
 * STRING) agree on it.
 */
export function parquetKind(type: string): string {
  const note = /\((\w+)\)/.exec(type)?.[1] ?? '';
  if (/^(repeated |group)/.test(type)) return 'nested';
  if (/^(DATE|TIME|TIMESTAMP|TIME_MILLIS|TIME_MICROS|TIMESTAMP_MILLIS|TIMESTAMP_MICROS)$/.test(note) || type.startsWith('INT96')) return 'time';
  if (type.startsWith('BOOLEAN')) return 'boolean';
  if (/^(INT32|INT64|FLOAT|DOUBLE)/.test(type) || note === 'DECIMAL') return 'number';
  if (note === 'JSON' || note === 'BSON') return 'json';
  if (/^(STRING|UTF8|ENUM|UUID)$/.test(note)) return 'string';
  return 'bytes';
}

/** A schema element's type in words: physical type and annotation, or a group (struct, list, map). */
function describeType(node: { element: { type?: string; converted_type?: string; logical_type?: { type: string }; repetition_type?: string }; children: unknown[] }): string {
  const e = node.element;
  const note = e.logical_type?.type ?? e.converted_type;
  const base = node.children.length ? 'group' : (e.type ?? 'unknown');
  return `${e.repetition_type === 'REPEATED' ? 'repeated ' : ''}${base}${note ? ` (${note})` : ''}`;
}

/** One Parquet cell as the text a CSV would hold ('' for null). */
function cellText(v: unknown, column: string, file: string, row: number): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
      throw new Error(`${file} row ${row + 1}, column '${column}': integer ${v} does not fit a double exactly`);
    return String(Number(v));
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return v.toISOString();
  // Lists, maps, structs and binary have no place in a flat feature table.
  throw new Error(`${file} column '${column}': unsupported Parquet value of type ${Array.isArray(v) ? 'list' : v instanceof Uint8Array ? 'binary' : typeof v} (row ${row + 1}); flatten it or drop the column`);
}

/** Reads a Parquet file into a Table; a row's "line" in messages is its 1-based row number. */
export async function readParquet(path: string, options: ParquetOptions = {}): Promise<Table> {
  return (await readParquetPart(path, options)).table;
}

/** readParquet with what the distributed reader needs besides the rows: the file's row count and column types. */
export async function readParquetPart(path: string, options: ParquetOptions = {}): Promise<ParquetPart> {
  const name = options.name ?? basename(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${name}: cannot read ${path}: ${(e as Error).message}`);
  }
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let header: string[];
  let rows: Record<string, unknown>[];
  let fileRows: number;
  let rowStart = 0;
  const columnTypes: Record<string, string> = {};
  try {
    const metadata = parquetMetadata(file);
    const schema = parquetSchema(metadata);
    header = schema.children.map((c) => c.element.name);
    for (const c of schema.children) columnTypes[c.element.name] = describeType(c);
    fileRows = Number(metadata.num_rows);
    // A nested column (list, map, struct) has no place in a flat feature table: say so
    // from the schema, before decoding anything.
    for (const c of schema.children)
      if ((!options.columns || options.columns.includes(c.element.name)) && (c.children.length || c.element.repetition_type === 'REPEATED'))
        throw new Error(`column '${c.element.name}': unsupported Parquet type ${columnTypes[c.element.name]}; flatten it or drop the column`);
    let rowEnd = fileRows;
    if (options.share) {
      rowStart = Math.floor((fileRows * options.share.index) / options.share.count);
      rowEnd = Math.floor((fileRows * (options.share.index + 1)) / options.share.count);
    }
    rows = rowEnd > rowStart ? await parquetReadObjects({ file, metadata, compressors, columns: options.columns ? [...options.columns] : undefined, rowStart, rowEnd }) : [];
  } catch (e) {
    const m = (e as Error).message;
    throw new Error(m.startsWith('column ') ? `${name} ${m}` : `${name}: not a readable Parquet file (${m})`);
  }
  for (const c of [...(options.required ?? []), ...(options.columns ?? [])])
    if (!header.includes(c)) throw new Error(`${name}: missing column '${c}' (columns are: ${header.join(', ')})`);
  for (const col of Object.keys(options.types ?? {}))
    if (!header.includes(col)) throw new Error(`${name}: a type override names column '${col}', which is not in the file (columns are: ${header.join(', ')})`);
  if (fileRows === 0 || (rows.length === 0 && !options.share)) throw new Error(`${name}: the file has no rows`);
  const keep = options.columns ? [...options.columns] : header;
  const lines = Int32Array.from({ length: rows.length }, (_, i) => rowStart + i + 1);
  const columns: Column[] = keep.map((col) => {
    const b = new StringColumnBuilder();
    for (let r = 0; r < rows.length; r++) b.push(cellText(rows[r][col], col, name, rowStart + r));
    return b.finish(col, options.asText ? 'categorical' : options.types?.[col], DEFAULT_MISSING, '|', { file: name, lines });
  });
  return { table: new Table(columns, lines, name), fileRows, rowStart, columnTypes };
}
