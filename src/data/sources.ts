// Where a job's rows come from: one CSV or Parquet file, a directory of them, or a glob
// over file names ('logs/part-*.parquet'), read into one Table. A warehouse export split
// into many files reads as one data set; files whose columns differ are an error naming them.
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { asStrings } from './columns.js';
import { readCsv, type CsvOptions } from './csv.js';
import { readParquet } from './parquet.js';
import { DEFAULT_MISSING, StringColumnBuilder, Table, type Column } from './table.js';

const DATA_FILE = /\.(csv|tsv|txt|csv\.gz|tsv\.gz|parquet)$/i;

/** 'part-*.csv' -> a regular expression over file names (* and ? only). */
function globPattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${escaped}$`);
}

/** The files a data path names, sorted: itself, a directory's data files, or a glob's matches. */
export function dataFiles(path: string): string[] {
  if (/[*?]/.test(basename(path))) {
    const dir = dirname(path);
    const re = globPattern(basename(path));
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      throw new Error(`${path}: cannot list ${dir} (${(e as Error).message})`);
    }
    const files = names.filter((n) => re.test(n)).sort().map((n) => join(dir, n));
    if (!files.length) throw new Error(`${path}: no file matches`);
    return files;
  }
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    return [path]; // readCsv / readParquet say what is wrong with it
  }
  if (!isDir) return [path];
  const files = readdirSync(path).filter((n) => DATA_FILE.test(n)).sort().map((n) => join(path, n));
  if (!files.length) throw new Error(`${path}: a directory with no data files (.csv, .tsv, .csv.gz, .parquet)`);
  return files;
}

const isParquet = (file: string): boolean => /\.parquet$/i.test(file);

/** Reads one file, CSV or Parquet by its extension. */
export function readDataFile(file: string, options: CsvOptions = {}): Promise<Table> {
  return isParquet(file) ? readParquet(file, { types: options.types, required: options.required, columns: options.columns, name: options.name }) : readCsv(file, options);
}

/**
 * Reads a file, a directory of files or a glob into one Table. With several files every
 * one must have the same columns; types are inferred over all of them together, and each
 * row's messages name its own file and line.
 */
export async function readTable(path: string, options: CsvOptions = {}): Promise<Table> {
  const files = dataFiles(path);
  if (files.length === 1) return readDataFile(files[0], options);
  const tables: Table[] = [];
  for (const f of files) tables.push(await readDataFile(f, { ...options, name: f }));
  const names = tables[0].columnNames;
  for (let k = 1; k < tables.length; k++) {
    const other = tables[k].columnNames;
    const missing = names.filter((n) => !other.includes(n));
    const extra = other.filter((n) => !names.includes(n));
    if (missing.length || extra.length)
      throw new Error(
        `${files[k]}: its columns differ from ${files[0]}'s` +
          `${missing.length ? `; missing ${missing.map((m) => `'${m}'`).join(', ')}` : ''}${extra.length ? `; extra ${extra.map((m) => `'${m}'`).join(', ')}` : ''}`,
      );
  }
  return concatTables(tables, files, path, options);
}

function concatTables(tables: readonly Table[], files: readonly string[], label: string, options: CsvOptions): Table {
  const rows = tables.reduce((n, t) => n + t.numRows, 0);
  const lines = new Int32Array(rows);
  const index = new Uint16Array(rows);
  let o = 0;
  tables.forEach((t, k) => {
    lines.set(t.lineNumbers, o);
    index.fill(k, o, o + t.numRows);
    o += t.numRows;
  });
  const rowFiles = { names: files, index };
  // Values are re-read as text so a column is typed once over every file, as if one file.
  const columns: Column[] = tables[0].columnNames.map((name) => {
    const b = new StringColumnBuilder();
    for (const t of tables) {
      const view = asStrings(t.column(name));
      for (let i = 0; i < view.codes.length; i++) b.push(view.codes[i] < 0 ? '' : view.dictionary[view.codes[i]]);
    }
    return b.finish(name, options.types?.[name], options.missingValues ?? DEFAULT_MISSING, options.multiHotSeparator ?? '|', { file: label, lines });
  });
  const badRows = tables.reduce((n, t) => n + (t.report?.badRows ?? 0), 0);
  const first = tables.find((t) => t.report)?.report;
  const report = first
    ? { ...first, file: label, rows, badRows, badRowSamples: tables.flatMap((t) => t.report?.badRowSamples.map((s) => ({ ...s, message: `${t.file}: ${s.message}` })) ?? []).slice(0, 10), types: Object.fromEntries(columns.map((c) => [c.name, c.type])) }
    : undefined;
  return new Table(columns, lines, `${label} (${files.length} files)`, report, rowFiles);
}
