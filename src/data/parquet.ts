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
  try {
    const metadata = parquetMetadata(file);
    header = parquetSchema(metadata).children.map((c) => c.element.name);
    rows = await parquetReadObjects({ file, metadata, compressors, columns: options.columns ? [...options.columns] : undefined });
  } catch (e) {
    throw new Error(`${name}: not a readable Parquet file (${(e as Error).message})`);
  }
  for (const c of [...(options.required ?? []), ...(options.columns ?? [])])
    if (!header.includes(c)) throw new Error(`${name}: missing column '${c}' (columns are: ${header.join(', ')})`);
  for (const col of Object.keys(options.types ?? {}))
    if (!header.includes(col)) throw new Error(`${name}: a type override names column '${col}', which is not in the file (columns are: ${header.join(', ')})`);
  if (rows.length === 0) throw new Error(`${name}: the file has no rows`);
  const keep = options.columns ? [...options.columns] : header;
  const lines = Int32Array.from({ length: rows.length }, (_, i) => i + 1);
  const columns: Column[] = keep.map((col) => {
    const b = new StringColumnBuilder();
    for (let r = 0; r < rows.length; r++) b.push(cellText(rows[r][col], col, name, r));
    return b.finish(col, options.types?.[col], DEFAULT_MISSING, '|', { file: name, lines });
  });
  return new Table(columns, lines, name);
}
