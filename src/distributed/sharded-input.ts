// Each rank's share of a data set, and what the ranks exchange so that everything that
// must agree does. A rank reads whole files r, r + W, ... of a directory or glob with at
// least W files, else its share of every file: a Parquet file's row range (only those
// rows are decoded), a CSV file's byte range cut at record starts (csv-range.ts). Column types are then inferred from every
// rank's counts together, exactly as one process infers them over all rows; rows carry
// their index in the table one process would read, so duplicate removal, splits and the
// fitted pipeline are the ones a single process makes (see prepareRankShare in
// src/cli/prepare.ts). Every check that can fail on one rank's files is exchanged before
// anyone goes on, so every rank stops with the same message.
import { asStrings } from '../data/columns.js';
import { readCsv, type CsvOptions } from '../data/csv.js';
import { readCsvShare } from '../data/csv-range.js';
import { parquetKind, readParquetPart } from '../data/parquet.js';
import { dataFiles } from '../data/sources.js';
import { DEFAULT_MISSING, StringColumnBuilder, Table, looksLikeIdName, parseNumber, type Column, type ColumnType } from '../data/table.js';
import { allGatherBytes, gatherJson } from './collectives.js';
import { dedupeParts, type Deduplicated } from './dedupe.js';
import { runOnRanks } from './exchange.js';
import { rank as worldRank, worldSize } from './world.js';
import type { Split } from '../data/splits.js';
import { parseExactJson, stringifyExactJson, type TrainingPart, type TrainingParts } from '../data/training-parts.js';

export interface RankWorld {
  rank: number;
  size: number;
}

/** What a rank read of one file. */
export interface FileShare {
  /** The file's place in the sorted file list. */
  index: number;
  file: string;
  /** Rows in the whole file (after skipping bad rows). */
  fileRows: number;
  /** The first of the file's rows this rank read, and how many. */
  rowStart: number;
  rows: number;
  columns: string[];
  /** Parquet files: each column's type in words; null for CSV. */
  types: Record<string, string> | null;
  badRows: number;
  badRowSamples: { line: number; message: string }[];
}

export interface RankShare {
  /** This rank's rows, in the order one process would read them, typed as one process types all rows. */
  table: Table;
  /** Each row's index in the table one process would read (files in order, rows in order). */
  globalIndex: Float64Array;
  /** Rows in the whole data set. */
  totalRows: number;
  /** 'files': this rank read whole files; 'rows': a row range of every file. */
  mode: 'files' | 'rows';
  /** The files this rank read (all of them, in 'rows' mode). */
  files: FileShare[];
  /** Every file's part, from every rank, by file. */
  allFiles: FileShare[];
  /** Bad rows over the whole data set, and the first few (prefixed with their file when there are several). */
  badRows: number;
  badRowSamples: { line: number; message: string }[];
}

const encoder = new TextEncoder(), decoder = new TextDecoder();

/** Throws on every rank when any rank failed (`mine` is this rank's error message or null): one message, the same everywhere. */
export function agreeOnFailure(mine: string | null): void {
  const all = gatherJson(mine);
  const failed = all.flatMap((m, r) => (m === null ? [] : [{ m, r }]));
  if (!failed.length) return;
  const first = failed[0].m;
  // Ranks that failed alike (a bad row every rank saw in the same file) are named together.
  const alike = failed.filter((f) => f.m === first).map((f) => f.r);
  const others = failed.filter((f) => f.m !== first);
  const where = all.length === 1 ? '' : alike.length === all.length ? ` [every rank of ${all.length}]` : ` [${alike.length > 1 ? 'ranks' : 'rank'} ${alike.join(', ')} of ${all.length}]`;
  const more = others.length ? ` (and ${others.map((f) => `rank ${f.r}: ${f.m}`).join('; ')})` : '';
  throw new Error(`${first}${where}${more}`);
}

/** Runs `f` on this rank and agrees with the others on whether every rank succeeded. */
export async function together<T>(f: () => Promise<T> | T): Promise<T> {
  let value: T | undefined, error: string | null = null;
  try {
    value = await f();
  } catch (e) {
    error = (e as Error).message;
  }
  agreeOnFailure(error);
  return value as T;
}

const isParquet = (file: string): boolean => /\.parquet$/i.test(file);

/** One file's part for this rank: the whole file, or its share of the rows. */
async function readPart(file: string, index: number, options: CsvOptions, world: RankWorld, whole: boolean): Promise<{ table: Table; share: FileShare }> {
  if (isParquet(file)) {
    const part = await readParquetPart(file, { types: options.types, required: options.required, columns: options.columns, name: file, ...(whole ? {} : { share: { index: world.rank, count: world.size }, asText: true }) });
    const t = part.table;
    return { table: t, share: { index, file, fileRows: part.fileRows, rowStart: part.rowStart, rows: t.numRows, columns: t.columnNames, types: part.columnTypes, badRows: 0, badRowSamples: [] } };
  }
  if (whole) {
    const t = await readCsv(file, { ...options, name: file });
    return { table: t, share: { index, file, fileRows: t.numRows, rowStart: 0, rows: t.numRows, columns: t.columnNames, types: null, badRows: t.report?.badRows ?? 0, badRowSamples: t.report?.badRowSamples ?? [] } };
  }
  // About 1/W of the file's bytes (rows by bytes, not exactly n / W of them); collective, so
  // every rank reads every file in the same order. fileRows and the bad rows are the whole
  // file's on every rank.
  const part = await readCsvShare(file, { ...options, name: file }, world, gatherJson);
  const t = part.table;
  return { table: t, share: { index, file, fileRows: part.fileRows, rowStart: part.rowStart, rows: t.numRows, columns: t.columnNames, types: null, badRows: part.badRows, badRowSamples: part.badRowSamples } };
}

/**
 * The files' columns must match the first file's, and each Parquet column must hold the
 * same kind of value (numbers, strings, times, ...; parquetKind) in every file: an error
 * naming both files otherwise.
 */
function checkSchemas(files: readonly FileShare[]): void {
  const first = files[0];
  for (const f of files.slice(1)) {
    const missing = first.columns.filter((n) => !f.columns.includes(n));
    const extra = f.columns.filter((n) => !first.columns.includes(n));
    if (missing.length || extra.length)
      throw new Error(
        `${f.file}: its columns differ from ${first.file}'s` +
          `${missing.length ? `; missing ${missing.map((m) => `'${m}'`).join(', ')}` : ''}${extra.length ? `; extra ${extra.map((m) => `'${m}'`).join(', ')}` : ''}`,
      );
    if (first.types && f.types)
      for (const c of first.columns)
        if (parquetKind(first.types[c]) !== parquetKind(f.types[c]))
          throw new Error(`${f.file}: column '${c}' is ${f.types[c]} there but ${first.types[c]} in ${first.file}; write the files with one schema`);
  }
}

/** What type inference needs of a column, summed over ranks. */
interface ColumnCounts {
  present: number;
  numeric: number;
  withSep: number;
  words: number;
  chars: number;
  /** Distinct present strings on this rank (an upper bound once summed). */
  distinct: number;
  /** Every present cell is an integer. */
  integers: boolean;
  /** The first present cell that is not a number, and its row's place. */
  notNumber: { cell: string; where: string } | null;
}

/** Each column of `parts` as text, row by row (null for missing). */
function columnText(parts: readonly Table[], name: string, missing: ReadonlySet<string>): (string | null)[] {
  const out: (string | null)[] = [];
  for (const t of parts) {
    const view = asStrings(t.column(name));
    const present = view.dictionary.map((s) => !missing.has(s.trim()));
    for (const c of view.codes) out.push(c < 0 || !present[c] ? null : view.dictionary[c]);
  }
  return out;
}

function countColumn(cells: readonly (string | null)[], where: (i: number) => string, sep: string): ColumnCounts & { strings: Set<string> } {
  const counts = new Map<string, number>();
  for (const s of cells) if (s !== null) counts.set(s, (counts.get(s) ?? 0) + 1);
  const c: ColumnCounts & { strings: Set<string> } = { present: 0, numeric: 0, withSep: 0, words: 0, chars: 0, distinct: counts.size, integers: true, notNumber: null, strings: new Set(counts.keys()) };
  for (const [s, n] of counts) {
    c.present += n;
    const v = parseNumber(s);
    if (!Number.isNaN(v)) c.numeric += n;
    if (!Number.isInteger(v)) c.integers = false;
    if (sep && s.includes(sep)) c.withSep += n;
    c.words += n * s.trim().split(/\s+/).length;
    c.chars += n * s.length;
  }
  const i = c.numeric < c.present ? cells.findIndex((s) => s !== null && Number.isNaN(parseNumber(s))) : -1;
  if (i >= 0) c.notNumber = { cell: cells[i]!, where: where(i) };
  return c;
}

/**
 * Reads this rank's share of `path` (a file, a directory or a glob). Collective: every rank
 * calls it with the same arguments.
 */
export async function readRankShare(path: string, options: CsvOptions, world: RankWorld): Promise<RankShare> {
  const files = dataFiles(path);
  const whole = files.length >= world.size;
  const parts: Table[] = [];
  const mine: FileShare[] = [];
  await together(async () => {
    for (let k = whole ? world.rank : 0; k < files.length; k += whole ? world.size : 1) {
      const { table, share } = await readPart(files[k], k, options, world, whole);
      parts.push(table);
      mine.push(share);
    }
  });
  // Every file's part, by file; in 'rows' mode every rank read every file and rank 0's record of it stands.
  const byFile = new Map<number, FileShare[]>();
  for (const shares of gatherJson(mine)) for (const s of shares) byFile.set(s.index, [...(byFile.get(s.index) ?? []), s]);
  const allFiles = [...byFile.keys()].sort((a, b) => a - b).map((k) => byFile.get(k)!);
  checkSchemas(allFiles.map((s) => s[0]));
  const offsets: number[] = [];
  let totalRows = 0;
  for (const s of allFiles) {
    offsets[s[0].index] = totalRows;
    totalRows += s[0].fileRows;
  }
  const badRows = allFiles.reduce((n, s) => n + s[0].badRows, 0);
  const badRowSamples = allFiles.flatMap((s) => s[0].badRowSamples.map((b) => (files.length > 1 ? { ...b, message: `${s[0].file}: ${b.message}` } : b))).slice(0, 10);

  const n = parts.reduce((s, t) => s + t.numRows, 0);
  const globalIndex = new Float64Array(n);
  const lines = new Int32Array(n);
  const fileOf = new Uint16Array(n);
  let o = 0;
  parts.forEach((t, p) => {
    for (let i = 0; i < t.numRows; i++, o++) {
      globalIndex[o] = offsets[mine[p].index] + mine[p].rowStart + i;
      lines[o] = t.lineNumbers[i];
      fileOf[o] = p;
    }
  });
  const names = allFiles[0][0].columns.filter((c) => !options.columns || options.columns.includes(c));
  const missing = new Set(options.missingValues ?? DEFAULT_MISSING);
  const sep = options.multiHotSeparator ?? '|';
  const where = (i: number): string => `${mine[fileOf[i]].file} line ${lines[i]}`;
  const label = files.length > 1 ? `${path} (${files.length} files)` : files[0];
  const text = names.map((name) => columnText(parts, name, missing));
  const types = inferTypes(names, text, where, options, sep);
  const columns: Column[] = await together(() => names.map((name, j) => buildColumn(name, types[j], text[j], lines, label, options, sep)));
  const table = new Table(columns, lines, label, undefined, { names: mine.map((s) => s.file), index: fileOf });
  return { table, globalIndex, totalRows, mode: whole ? 'files' : 'rows', files: mine, allFiles: allFiles.map((s) => s[0]), badRows, badRowSamples };
}

/** Each column's type as one process infers it over every row: from every rank's counts, summed. */
function inferTypes(names: readonly string[], text: readonly (string | null)[][], where: (i: number) => string, options: CsvOptions, sep: string): ColumnType[] {
  const local = names.map((_, j) => countColumn(text[j], where, sep));
  const all = gatherJson(local.map(({ strings: _, ...c }) => c));
  const sum = names.map((_, j) => {
    const s: ColumnCounts = { present: 0, numeric: 0, withSep: 0, words: 0, chars: 0, distinct: 0, integers: true, notNumber: null };
    for (const r of all) {
      const c = r[j];
      s.present += c.present;
      s.numeric += c.numeric;
      s.withSep += c.withSep;
      s.words += c.words;
      s.chars += c.chars;
      s.distinct += c.distinct;
      s.integers &&= c.integers;
      s.notNumber ??= c.notNumber;
    }
    return s;
  });
  // The text rule needs the number of distinct values over all rows: gathered only for the
  // columns it could decide (long, mostly-unique values that are not numbers or bags).
  const undecided = names.map((name, j) => {
    const s = sum[j];
    if (options.types?.[name] || s.present === 0 || s.numeric / s.present >= 0.95 || s.withSep / s.present >= 0.5 || s.words / s.present >= 3) return false;
    return s.chars / s.present >= 20 && s.distinct / s.present > 0.5;
  });
  if (undecided.some(Boolean)) {
    const strings = gatherJson(names.map((_, j) => (undecided[j] ? [...local[j].strings] : [])));
    names.forEach((_, j) => {
      if (undecided[j]) sum[j].distinct = new Set(strings.flatMap((r) => r[j])).size;
    });
  }
  return names.map((name, j) => {
    const s = sum[j];
    const declared = options.types?.[name];
    if (declared === 'numeric' && s.notNumber && (s.present - s.numeric) * 2 > s.present)
      throw new Error(
        `${s.notNumber.where}, column '${name}': declared numeric but ${s.present - s.numeric} of its ${s.present} present cells are not numbers (e.g. '${s.notNumber.cell}'); declare it categorical or text, or fix the cells`,
      );
    if (declared) return declared;
    // inferType's rules, on the summed counts (one pseudo-value carries them all).
    let type: ColumnType;
    if (s.present === 0) type = 'categorical';
    else if (s.numeric / s.present >= 0.95) type = 'numeric';
    else if (s.withSep / s.present >= 0.5) type = 'multihot';
    else if (s.words / s.present >= 3 || (s.chars / s.present >= 20 && s.distinct / s.present > 0.5)) type = 'text';
    else type = 'categorical';
    if (type === 'numeric' && looksLikeIdName(name) && s.integers) type = 'categorical';
    return type;
  });
}

/** A column of the given type from its cells' text (the numbers parsed as a numeric column's are). */
function buildColumn(name: string, type: ColumnType, cells: readonly (string | null)[], lines: Int32Array, file: string, options: CsvOptions, sep: string): Column {
  if (type === 'numeric') {
    const values = new Float64Array(cells.length);
    let invalid = 0;
    let invalidExample: { cell: string; line: number } | undefined;
    cells.forEach((s, i) => {
      values[i] = s === null ? NaN : parseNumber(s);
      if (s !== null && Number.isNaN(values[i])) {
        invalid++;
        invalidExample ??= { cell: s, line: lines[i] };
      }
    });
    return invalidExample ? { name, type, values, invalid, invalidExample } : { name, type, values, invalid };
  }
  const b = new StringColumnBuilder();
  for (const s of cells) b.push(s ?? '');
  return b.finish(name, type, options.missingValues ?? DEFAULT_MISSING, sep, { file });
}

/**
 * Which of this rank's rows repeat an earlier row of the whole data set (the first
 * occurrence is kept, as cleanTable keeps it), and each kept row's index among all kept
 * rows. Collective: each row's hash goes to the rank that owns it (dedupe.ts), not to every
 * rank.
 */
export function dedupeAcrossRanks(table: Table, globalIndex: Float64Array, totalRows: number, dedupe: boolean): Deduplicated {
  if (!dedupe) return { keptIndex: globalIndex.slice(), totalKept: totalRows, duplicateRows: 0, duplicateRowLines: [] };
  return runOnRanks(dedupeParts(table, globalIndex, { rank: worldRank(), size: worldSize() })).value;
}

/**
 * A split of `total` rows restricted to this rank's rows: row i here is row globalIndex[i]
 * of the whole data set (i itself when globalIndex is left out). Local row numbers, in
 * ascending order in each part.
 */
export function localSplit(split: Split, total: number, globalIndex?: ArrayLike<number>): Split {
  const part = new Int8Array(total);
  for (const i of split.validation) part[i] = 1;
  for (const i of split.test) part[i] = 2;
  const rows: number[][] = [[], [], []];
  const n = globalIndex ? globalIndex.length : total;
  for (let i = 0; i < n; i++) rows[part[globalIndex ? globalIndex[i] : i]].push(i);
  return { train: Int32Array.from(rows[0]), validation: Int32Array.from(rows[1]), test: Int32Array.from(rows[2]) };
}

/**
 * This rank's training rows as one of every rank's parts of a fit: each summary travels
 * through one all-gather (exact JSON) and is merged in rank order, so every rank holds the
 * same merged statistics and none holds another rank's rows. A summary that fails on any
 * rank fails on every rank with the same message. Counts the bytes it received.
 */
export function rankParts(table: Table, rowKeys: ArrayLike<number>): TrainingParts & { bytesReceived: number } {
  const local: TrainingPart = { table, rowKey: (i) => rowKeys[i] };
  const parts = {
    local,
    bytesReceived: 0,
    combine<T>(summarize: (part: TrainingPart) => T, merge: (a: T, b: T) => T): T {
      let value: T | undefined;
      let error: string | null = null;
      try {
        value = summarize(local);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      agreeOnFailure(error);
      const received = allGatherBytes(encoder.encode(stringifyExactJson(value)));
      parts.bytesReceived += received.reduce((n, b) => n + b.length, 0);
      return received.map((b) => parseExactJson<T>(decoder.decode(b))).reduce(merge);
    },
  };
  return parts;
}

/**
 * The table with each numeric column's count of cells that were not numbers, and the first
 * of them, made the whole data set's (what one process's reader reports): the counts summed
 * over ranks, the example of the rank whose example comes first. Collective.
 */
export function agreeOnInvalidCells(table: Table, globalIndex: Float64Array): Table {
  const mine = table.columns.map((c) => {
    if (c.type !== 'numeric' || !c.invalid) return null;
    const ex = c.invalidExample ?? null;
    // The example's row: the first unreadable (NaN) value on its line; a missing cell on the
    // same line number of an earlier file of this rank would be taken for it.
    let at: number | null = null;
    if (ex) for (let i = 0; i < table.numRows && at === null; i++) if (Number.isNaN(c.values[i]) && table.lineNumbers[i] === ex.line) at = globalIndex[i];
    return { invalid: c.invalid, example: ex, at };
  });
  const all = gatherJson(mine);
  const columns = table.columns.map((c, j): Column => {
    if (c.type !== 'numeric') return c;
    const theirs = all.map((r) => r[j]).filter((x) => x !== null);
    const invalid = theirs.reduce((n, x) => n + x!.invalid, 0);
    const first = theirs.filter((x) => x!.example).sort((a, b) => (a!.at ?? Infinity) - (b!.at ?? Infinity))[0];
    const { invalidExample: _, ...rest } = c;
    return first ? { ...rest, invalid, invalidExample: first.example! } : { ...rest, invalid };
  });
  return new Table(columns, table.lineNumbers, table.file, table.report, table.rowFiles);
}
