// Streaming CSV reading into a columnar Table: gzip by extension or magic bytes, delimiter
// and quote sniffed from the first lines, types inferred with overrides, bad rows reported
// by line number (skipped and counted, or thrown).
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse, type CsvError } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { DEFAULT_MISSING, StringColumnBuilder, Table, type Column, type ColumnType, type ReadReport } from './table.js';

export interface CsvOptions {
  /** Field separator; sniffed from the first lines when omitted. */
  delimiter?: string;
  /** Quote character; sniffed (" or ') when omitted. */
  quote?: string;
  /** Whether the first row names the columns (default true); otherwise col0, col1, ... */
  header?: boolean;
  /** Type overrides per column; other columns are inferred. */
  types?: Record<string, ColumnType>;
  /** Columns that must be present (a clear error names the first missing one and the file). */
  required?: readonly string[];
  /** Keep only these columns (after checking they exist). */
  columns?: readonly string[];
  /** Ragged rows and broken quotes: 'skip' counts and reports them, 'error' throws (default 'skip'). */
  onBadRow?: 'skip' | 'error';
  /** Cells read as missing (default '', NA, NaN, nan, null, NULL; not None, N/A or ?, which are real levels in some data). */
  missingValues?: readonly string[];
  /** Separator inside multi-hot cells (default '|'). */
  multiHotSeparator?: string;
  /** Accept quotes inside unquoted fields literally instead of reporting the row. */
  relaxQuotes?: boolean;
  /** Force gzip on or off; by default from the .gz extension or the magic bytes. */
  gzip?: boolean;
  /** Name used in messages (defaults to the file's base name). */
  name?: string;
}

const CANDIDATE_DELIMITERS = [',', ';', '\t', '|'];
/** How much of a file's start the dialect is sniffed from. */
export const SNIFF_BYTES = 64 * 1024;
const SNIFF_LINES = 50;
/** Bad rows a read reports by line (all are counted). */
export const BAD_ROW_SAMPLES = 10;

/** Reads a CSV file (optionally gzipped) into a Table, streaming. */
export async function readCsv(path: string, options: CsvOptions = {}): Promise<Table> {
  const name = options.name ?? basename(path);
  const gzip = options.gzip ?? (path.endsWith('.gz') || (await hasGzipMagic(path, name)));
  const openStream = (): Readable => {
    const file = createReadStream(path);
    if (!gzip) return file;
    // Errors of the file surface on the gunzip stream; closing gunzip closes the file.
    const gunzip = createGunzip();
    file.on('error', (e) => gunzip.destroy(e));
    gunzip.on('close', () => file.destroy());
    return file.pipe(gunzip);
  };
  const head = await readHead(openStream(), name);
  return readStream(openStream(), head, name, gzip, options);
}

/** Parses CSV text already in memory (tests, predict on a string). */
export async function readCsvString(text: string, options: CsvOptions = {}): Promise<Table> {
  const name = options.name ?? '<string>';
  return readStream(Readable.from([text]), text.slice(0, SNIFF_BYTES), name, false, options);
}

/** The file opened for reading; an error naming it (`name`) when it cannot be. */
export async function openNamed(path: string, name: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (e) {
    throw new Error(`${name}: cannot open ${path}: ${(e as Error).message}`);
  }
}

/**
 * Opens the file once before reading: a directory, or a binary file (NUL bytes, or bytes
 * that are not UTF-8, in its first KB), is an error naming it, rather than a bare EISDIR or
 * raw bytes dumped into messages; gzip is recognised by its magic bytes.
 */
export async function hasGzipMagic(path: string, name: string): Promise<boolean> {
  const fh = await openNamed(path, name);
  try {
    if ((await fh.stat()).isDirectory()) throw new Error(`${path}: is a directory, not a CSV file`);
    const b = Buffer.alloc(1024);
    const { bytesRead } = await fh.read(b, 0, b.length, 0);
    const head = b.subarray(0, bytesRead);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
    const nul = head.indexOf(0);
    if (nul >= 0) throw new Error(`${name}: looks like a binary file, not CSV text (a NUL byte at offset ${nul})`);
    const bad = firstInvalidUtf8(head);
    if (bad >= 0) {
      const line = head.subarray(0, bad).toString('latin1').split('\n').length;
      throw new Error(`${name}: not UTF-8 text (an invalid byte on line ${line}): a binary file, or text in another encoding (convert it to UTF-8)`);
    }
    return false;
  } finally {
    await fh.close();
  }
}

/** Offset of the first byte that breaks UTF-8, or -1; a sequence cut off by the end of `b` is fine. */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k < b.length && (b[i + k] & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return -1;
}

/** The first SNIFF_BYTES of decompressed text, then the stream is dropped. */
async function readHead(stream: Readable, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of stream) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      chunks.push(b);
      n += b.length;
      if (n >= SNIFF_BYTES) break;
    }
  } catch (e) {
    throw new Error(`${name}: cannot read: ${(e as Error).message}`);
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, SNIFF_BYTES).toString('utf8');
}

export interface Dialect {
  delimiter: string;
  quote: string;
}

/**
 * Guesses the delimiter and quote from the first lines: the candidate whose per-line
 * count (outside quotes) is the same on the most lines, ties broken by the larger count.
 */
export function sniffDialect(head: string): Dialect {
  const lines = head.split(/\r?\n/).filter((l) => l.length > 0);
  // A partial last line (cut at SNIFF_BYTES) would skew the counts.
  if (lines.length > 1 && head.length >= SNIFF_BYTES) lines.pop();
  const sample = lines.slice(0, SNIFF_LINES);
  const quote = sniffQuote(sample);
  let best: Dialect = { delimiter: ',', quote };
  let bestScore = -1;
  for (const d of CANDIDATE_DELIMITERS) {
    const counts = sample.map((l) => countOutsideQuotes(l, d, quote));
    if (counts[0] === 0) continue;
    const mode = counts[0];
    const consistent = counts.filter((c) => c === mode).length / counts.length;
    const score = consistent * 1000 + Math.min(mode, 999);
    if (score > bestScore) {
      bestScore = score;
      best = { delimiter: d, quote };
    }
  }
  return best;
}

function sniffQuote(lines: readonly string[]): string {
  // A quote char that opens fields (at line start or after a delimiter-ish char).
  const opens = (q: string) => {
    const re = new RegExp(`(^|[,;\\t|])${q}`, 'g');
    let n = 0;
    for (const l of lines) n += (l.match(re) ?? []).length;
    return n;
  };
  return opens("'") > opens('"') ? "'" : '"';
}

function countOutsideQuotes(line: string, delimiter: string, quote: string): number {
  let n = 0;
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === quote) inQuotes = !inQuotes;
    else if (ch === delimiter && !inQuotes) n++;
  }
  return n;
}

/** The dialect readCsv reads a file in: `options`' delimiter and quote, else those sniffed from its first SNIFF_BYTES; an empty file is an error. */
export function csvDialect(head: string, name: string, options: CsvOptions): Dialect {
  if (head.replace(/^\uFEFF/, '').trim() === '') throw new Error(`${name}: the file is empty (expected a header row and data rows)`);
  const sniffed = sniffDialect(head.replace(/^\uFEFF/, ''));
  return { delimiter: options.delimiter ?? sniffed.delimiter, quote: options.quote ?? sniffed.quote };
}

async function readStream(source: Readable, head: string, name: string, gzip: boolean, options: CsvOptions): Promise<Table> {
  const dialect = csvDialect(head, name, options);
  const parsed = await parseCsvRecords(source, name, dialect, options);
  if (parsed.names === null) throw new Error(`${name}: the file is empty (expected a header row and data rows)`);
  const header = parsed.names;
  if (parsed.rows === 0) throw noDataRows(name, parsed.badRows, parsed.badRowSamples);
  const keep = keptColumns(header, name, options);
  const columns = recordColumns(parsed, keep, name, options, (c) => options.types?.[c]);
  const report: ReadReport = {
    file: name,
    ...dialect,
    gzip,
    rows: parsed.rows,
    badRows: parsed.badRows,
    badRowSamples: parsed.badRowSamples,
    types: Object.fromEntries(columns.map((c) => [c.name, c.type])),
  };
  return new Table(columns, parsed.lines, name, report);
}

/** Where a part of a file that does not begin the file starts (csv-range.ts reads such parts). */
export interface CsvPartStart {
  /** The file's columns, from its header (or col0, col1, ... for the first record's fields). */
  names: string[];
  /** The lines before the part, as csv-parse counts lines (every CR and every LF, a CR LF record delimiter once). */
  linesBefore: number;
  /** The file's record delimiter; csv-parse would otherwise take the part's first line end for it. */
  recordDelimiter: string;
}

/** The records of a file or part, before columns are typed. */
export interface CsvRecords {
  /** The columns (the header's names, or col0, col1, ...); null when no record was read. */
  names: string[] | null;
  /** Each column's cells, as text. */
  cells: StringColumnBuilder[];
  /** Each row's line in the file. */
  lines: Int32Array;
  rows: number;
  badRows: number;
  badRowSamples: { line: number; message: string }[];
  /** Records csv-parse itself rejected (broken quotes), among the bad rows. */
  unparsable: number;
}

/**
 * Parses CSV text into cells, one definition for readCsv and for a part of a file: ragged
 * rows and broken quotes reported by line (skipped, or thrown in 'error' mode), a quote that
 * ran on over several lines reported where it opened and the lines it swallowed read again.
 * Without `part` the first record is the header (when options.header is not false).
 */
export async function parseCsvRecords(source: Readable, name: string, dialect: Dialect, options: CsvOptions, part?: CsvPartStart): Promise<CsvRecords> {
  const { delimiter, quote } = dialect;
  const onBadRow = options.onBadRow ?? 'skip';
  const useHeader = options.header ?? true;
  if (onBadRow !== 'skip' && onBadRow !== 'error') throw new Error(`readCsv: onBadRow must be 'skip' or 'error', got ${JSON.stringify(onBadRow)}`);
  const linesBefore = part?.linesBefore ?? 0;

  let names: string[] | null = part ? part.names : null;
  let builders: StringColumnBuilder[] = part ? part.names.map(() => new StringColumnBuilder()) : [];
  let lines = new Int32Array(1024);
  let rows = 0;
  let badRows = 0;
  let unparsable = 0;
  const badRowSamples: { line: number; message: string }[] = [];

  const parser = parse({
    delimiter,
    quote,
    // A part never starts at the file's first byte, where a byte-order mark could be.
    bom: !part,
    ...(part ? { record_delimiter: part.recordDelimiter } : {}),
    info: true,
    // The raw text of each record, so a broken quote that swallowed later lines can be
    // reported at the line it opened on and those lines read again.
    raw: true,
    relax_column_count: true,
    relax_quotes: options.relaxQuotes ?? false,
    skip_empty_lines: true,
    skip_records_with_error: true,
  });

  const bad = (line: number, message: string) => {
    if (onBadRow === 'error') throw new Error(`${name} line ${line}: ${message}`);
    badRows++;
    if (badRowSamples.length < BAD_ROW_SAMPLES) badRowSamples.push({ line, message });
  };

  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      source.destroy();
      parser.destroy();
      reject(e);
    };
    parser.on('skip', (err: CsvError) => {
      unparsable++;
      // After text follows a closing quote, csv-parse skips the record but stays inside
      // the quote, which would swallow the rest of the file; leave the quote so parsing
      // resumes at the next record.
      if (err.code === 'CSV_INVALID_CLOSING_QUOTE') {
        const state = (parser as unknown as { state?: { quoting?: boolean } }).state;
        if (state && typeof state.quoting === 'boolean') state.quoting = false;
      }
      try {
        const raw = (err as CsvError & { raw?: string }).raw;
        const line = linesBefore + Number(err.lines);
        if (!swallowed(raw, line, describeCsvError(err))) bad(line, describeCsvError(err));
      } catch (e) {
        fail(e as Error);
      }
    });
    const push = (record: string[], line: number) => {
      if (names === null) {
        names = useHeader ? record.map((s, i) => s.trim() || `col${i}`) : record.map((_, i) => `col${i}`);
        builders = names.map(() => new StringColumnBuilder());
        if (useHeader) return;
      }
      if (record.length !== names.length) {
        bad(line, `expected ${names.length} fields, found ${record.length}`);
        return;
      }
      for (let c = 0; c < record.length; c++) builders[c].push(record[c]);
      if (rows === lines.length) {
        const bigger = new Int32Array(lines.length * 2);
        bigger.set(lines);
        lines = bigger;
      }
      lines[rows++] = line;
    };
    /**
     * A bad record that spans several lines is almost always a quote opened by mistake that
     * ran on into the next lines: report it at the line it started on, then read each of
     * the lines it swallowed as a record of its own. False for a one-line record.
     */
    const swallowed = (raw: string | undefined, endLine: number, message: string): boolean => {
      if (!raw) return false;
      const body = raw.endsWith('\n') ? raw.slice(0, raw.endsWith('\r\n') ? -2 : -1) : raw;
      const parts = body.split(/\r?\n/);
      if (parts.length < 2) return false;
      const start = endLine - parts.length + 1;
      bad(start, message.startsWith('expected') ? `${message} (a quote opened on this line runs on to line ${endLine})` : message);
      for (let k = 1; k < parts.length; k++) {
        if (parts[k].trim() === '') continue;
        let record: string[];
        try {
          record = (parseSync(parts[k], { delimiter, quote, relax_column_count: true, relax_quotes: options.relaxQuotes ?? false }) as string[][])[0] ?? [];
        } catch (e) {
          bad(start + k, describeCsvError(e as CsvError));
          continue;
        }
        push(record, start + k);
      }
      return true;
    };
    parser.on('data', ({ record, info, raw }: { record: string[]; info: { lines: number }; raw: string }) => {
      if (failed) return;
      try {
        const line = linesBefore + info.lines;
        if (names !== null && record.length !== names.length && swallowed(raw, line, `expected ${names.length} fields, found ${record.length}`)) return;
        push(record, line);
      } catch (e) {
        fail(e as Error);
      }
    });
    parser.on('error', (e: CsvError) => fail(new Error(`${name}${e.lines ? ` line ${linesBefore + Number(e.lines)}` : ''}: ${describeCsvError(e)}`)));
    parser.on('end', () => {
      if (!failed) resolve();
    });
    source.on('error', (e) => fail(new Error(`${name}: cannot read: ${e.message}`)));
    source.pipe(parser);
  });
  return { names, cells: builders, lines: lines.slice(0, rows), rows, badRows, badRowSamples, unparsable };
}

/** The error for a file without data rows (`badRows` skipped, the first of them in `samples`). */
export function noDataRows(name: string, badRows: number, samples: readonly { line: number }[]): Error {
  return new Error(`${name}: no data rows after the header${badRows ? ` (${badRows} bad rows skipped, first at line ${samples[0].line})` : ''}`);
}

/**
 * The header's columns that `options` keeps (options.columns, else all), in order, after the
 * checks readCsv makes: no name twice, every kept, required and typed column present.
 */
export function keptColumns(header: readonly string[], name: string, options: CsvOptions): number[] {
  checkNames(header, name);
  let keep = header.map((_, i) => i);
  if (options.columns) {
    for (const c of options.columns) if (!header.includes(c)) throw missing1(name, c, header);
    keep = options.columns.map((c) => header.indexOf(c));
  }
  for (const c of options.required ?? []) if (!header.includes(c)) throw missing1(name, c, header);
  for (const col of Object.keys(options.types ?? {}))
    if (!header.includes(col)) throw new Error(`${name}: a type override names column '${col}', which is not in the file (columns are: ${header.join(', ')})`);
  return keep;
}

/** The kept columns of parsed records, each of the type `typeOf` gives (inferred from its cells when undefined). */
export function recordColumns(parsed: CsvRecords, keep: readonly number[], name: string, options: CsvOptions, typeOf: (column: string) => ColumnType | undefined): Column[] {
  const header = parsed.names!;
  const missing = options.missingValues ?? DEFAULT_MISSING;
  const sep = options.multiHotSeparator ?? '|';
  return keep.map((i) => parsed.cells[i].finish(header[i], typeOf(header[i]), missing, sep, { file: name, lines: parsed.lines }));
}

function missing1(file: string, col: string, header: readonly string[]): Error {
  return new Error(`${file}: missing column '${col}' (columns are: ${header.join(', ')})`);
}

function checkNames(names: readonly string[], file: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new Error(`${file}: the header names column '${n}' twice`);
    seen.add(n);
  }
}

function describeCsvError(e: CsvError): string {
  switch (e.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'unparsable quotes (text right after a closing quote)';
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'unparsable quotes (text right after a closing quote)';
    case 'INVALID_OPENING_QUOTE':
      return 'unparsable quotes (a quote inside an unquoted field)';
    default:
      return e.message.replace(/ at line \d+/, '');
  }
}
