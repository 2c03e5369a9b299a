// One rank's share of a CSV file, read by bytes. The file is cut into W chunks of about
// size / W bytes; each rank scans its own chunk once for quotes and line ends, the ranks
// exchange what they found, and every rank then knows the quote state at each chunk's
// start, so where the first record after it begins (a line break inside a quoted field
// ends no record) and how many lines come before. Each rank parses only its bytes, with
// readCsv's parser (parseCsvRecords; the scan only finds record ends), and a second
// exchange of row counts gives every row its index in the file. A file the byte split
// cannot be exact for is parsed whole by every rank, which keeps its row range.
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import {
  BAD_ROW_SAMPLES,
  SNIFF_BYTES,
  csvDialect,
  hasGzipMagic,
  keptColumns,
  noDataRows,
  openNamed,
  parseCsvRecords,
  readCsv,
  recordColumns,
  type CsvOptions,
  type CsvRecords,
  type Dialect,
} from './csv.js';
import { Table } from './table.js';

const QUOTE = 0x22, CR = 0x0d, LF = 0x0a;
const SCAN_BLOCK = 1 << 20;

/** Every rank's value, in rank order (gatherJson under MPI; any all-gather through JSON). */
export type Exchange = <T>(value: T) => T[] | Promise<T[]>;

/** A file's record delimiter: csv-parse takes the first line end outside quotes for it. */
export type RecordDelimiter = '\n' | '\r\n' | '\r';

/**
 * A record that begins after a record delimiter, and the line breaks before it (from the
 * start of the scanned bytes), counted as csv-parse counts lines: every CR and every LF,
 * except that a CR LF record delimiter is one.
 */
export interface RecordStart {
  offset: number;
  lineBreaks: number;
}

/** What one pass over a chunk of a file finds, for either quote state at the chunk's start. */
export interface ChunkScan {
  /** Quote bytes in the chunk: an odd count flips the quote state at the next chunk's start. */
  quotes: number;
  /** By the state at the chunk's start (0: outside a quoted field, 1: inside): the record after the first record delimiter that begins in the chunk, or null. */
  firstRecord: [RecordStart | null, RecordStart | null];
  /** Line breaks in the chunk, by the state at its start. */
  lineBreaks: [number, number];
}

/**
 * Scans a chunk fed in pieces. The quote state is the parity of the quote bytes since the
 * chunk's start, flipped when the chunk starts inside a quoted field: with `"` as both quote
 * and escape (csv-parse's default) and no broken quotes, a doubled `""` flips it twice, so
 * the parity is exactly csv-parse's state. Both start states are followed in one pass.
 */
export class ChunkScanner {
  private at: number;
  private parity = 0;
  private quotes = 0;
  private breaks = 0;
  /** CR LF record delimiters, by the start state under which they are outside quotes. */
  private readonly pairs: [number, number] = [0, 0];
  private readonly first: [RecordStart | null, RecordStart | null] = [null, null];
  private lastWasCr = false;

  constructor(
    start: number,
    private readonly delimiter: RecordDelimiter,
  ) {
    this.at = start;
  }

  feed(bytes: Uint8Array): void {
    const delimiter = this.delimiter;
    let { parity, quotes, breaks, lastWasCr } = this;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === QUOTE) {
        parity ^= 1;
        quotes++;
      } else if (b === LF) {
        breaks++;
        if (delimiter === '\n') this.recordAt(parity, this.at + i + 1, breaks);
        else if (delimiter === '\r\n' && lastWasCr) {
          this.pairs[parity]++;
          this.recordAt(parity, this.at + i + 1, breaks);
        }
      } else if (b === CR) {
        breaks++;
        if (delimiter === '\r') this.recordAt(parity, this.at + i + 1, breaks);
      }
      lastWasCr = b === CR;
    }
    this.parity = parity;
    this.quotes = quotes;
    this.breaks = breaks;
    this.lastWasCr = lastWasCr;
    this.at += bytes.length;
  }

  /** The chunk's scan; `next` is the byte after the chunk (-1 at the end of the file), which completes a CR LF cut by the chunk's end. */
  finish(next: number): ChunkScan {
    if (this.delimiter === '\r\n' && this.lastWasCr && next === LF) {
      this.pairs[this.parity]++;
      this.recordAt(this.parity, this.at + 1, this.breaks + 1);
    }
    return { quotes: this.quotes, firstRecord: [...this.first], lineBreaks: [this.breaks - this.pairs[0], this.breaks - this.pairs[1]] };
  }

  private recordAt(state: number, offset: number, breaks: number): void {
    this.first[state] ??= { offset, lineBreaks: breaks - this.pairs[state] };
  }
}

/** A rank's bytes of the file, [start, end), and the lines before them. */
export interface CsvRange {
  start: number;
  end: number;
  linesBefore: number;
}

/**
 * Every rank's range, from every rank's chunk scan (chunk r is [size r / W, size (r + 1) / W)
 * of the whole file; the file starts outside quotes). Rank r > 0 starts at the first record
 * after a record delimiter that begins in its chunk or a later one (none: the end of the
 * file, an empty range), but not before `data` (the first data row); rank 0 starts at `data`;
 * each range ends where the next begins.
 */
export function csvRanges(scans: readonly ChunkScan[], size: number, data: { offset: number; linesBefore: number }): CsvRange[] {
  const own: (RecordStart | null)[] = [];
  let state = 0, breaks = 0;
  for (const scan of scans) {
    const first = scan.firstRecord[state];
    own.push(first && { offset: first.offset, lineBreaks: breaks + first.lineBreaks });
    breaks += scan.lineBreaks[state];
    state ^= scan.quotes & 1;
  }
  const starts: { offset: number; linesBefore: number }[] = [];
  let next = { offset: size, linesBefore: breaks };
  starts[scans.length] = next;
  for (let r = scans.length - 1; r >= 1; r--) {
    const first = own[r];
    if (first) next = { offset: first.offset, linesBefore: first.lineBreaks };
    starts[r] = next.offset < data.offset ? data : next;
  }
  starts[0] = data;
  return scans.map((_, r) => ({ start: starts[r].offset, end: starts[r + 1].offset, linesBefore: starts[r].linesBefore }));
}

/** Where the data of a file starts, from its first bytes. */
export interface CsvLayout {
  recordDelimiter: RecordDelimiter;
  /** The first record (the header, or the first data row without one) ends here; its fields name the columns. */
  firstRecordEnd: number;
  /** Where the data rows start (after the header; after a byte-order mark without one), and the lines before. */
  data: { offset: number; linesBefore: number };
}

/** The layout of a file from its first bytes, or why the head does not tell (a record longer than the head). */
export function csvLayout(head: Uint8Array, useHeader: boolean): CsvLayout | string {
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  let recordDelimiter: RecordDelimiter | null = null;
  for (let i = bom, parity = 0; i < head.length && !recordDelimiter; i++) {
    const b = head[i];
    if (b === QUOTE) parity ^= 1;
    else if (parity === 0 && b === LF) recordDelimiter = '\n';
    else if (parity === 0 && b === CR) {
      if (i + 1 === head.length) return 'its first line end outside quotes is a CR at the end of the first bytes read (CR or CR LF?)';
      recordDelimiter = head[i + 1] === LF ? '\r\n' : '\r';
    }
  }
  if (!recordDelimiter) return `no line end outside quotes in its first ${head.length} bytes`;
  const scan = (from: number, to: number): ChunkScan => {
    const scanner = new ChunkScanner(from, recordDelimiter);
    scanner.feed(head.subarray(from, to));
    return scanner.finish(to < head.length ? head[to] : -1);
  };
  // Empty lines before the first record are skipped, as csv-parse skips them.
  let start = bom;
  for (;;) {
    const end = scan(start, head.length).firstRecord[0]?.offset;
    if (end === undefined) return `its first record does not end within its first ${head.length} bytes`;
    if (end - recordDelimiter.length > start) {
      const data = useHeader ? { offset: end, linesBefore: scan(0, end).lineBreaks[0] } : { offset: bom, linesBefore: 0 };
      return { recordDelimiter, firstRecordEnd: end, data };
    }
    start = end;
  }
}

/** What a rank read of a CSV file. */
export interface CsvShare {
  /** This rank's rows; with the byte split every column is text ('categorical'), to be typed from every rank's cells together. */
  table: Table;
  /** Rows in the whole file (bad rows skipped), and the first of them in this share. */
  fileRows: number;
  rowStart: number;
  /** The whole file's bad rows and the first few, as readCsv reports them. */
  badRows: number;
  badRowSamples: { line: number; message: string }[];
  /** Why every rank parsed the whole file, or null when each read only its bytes. */
  wholeFileBecause: string | null;
}

interface SplitPlan {
  size: number;
  dialect: Dialect;
  layout: CsvLayout;
  names: string[];
  scan: ChunkScan;
}

/**
 * This rank's share of the file's rows: its byte range (see the top of this file), or, for
 * a file the split cannot be exact for, rows [n r / W, n (r + 1) / W) of the whole file
 * parsed by every rank. Collective: every rank calls it with the same arguments, and every
 * failure is exchanged, so every rank returns, or throws the same error (the first
 * failing rank's: for a bad row in 'error' mode, the first bad row of the file).
 */
export async function readCsvShare(path: string, options: CsvOptions, world: { rank: number; size: number }, exchange: Exchange): Promise<CsvShare> {
  const name = options.name ?? basename(path);
  const planned = await agreed(exchange, () => planSplit(path, name, options, world), (p) => (typeof p === 'string' ? { wholeFileBecause: p, scan: null } : { wholeFileBecause: null, scan: p.scan }));
  const because = planned.all.find((p) => p.wholeFileBecause)?.wholeFileBecause;
  if (because) return readWholeFile(path, options, world, exchange, because);
  const plan = planned.mine as SplitPlan;
  const range = csvRanges(planned.all.map((p) => p.scan!), plan.size, plan.layout.data)[world.rank];
  const bytes = () => (range.end > range.start ? createReadStream(path, { start: range.start, end: range.end - 1 }) : Readable.from([]));
  const part = { names: plan.names, linesBefore: range.linesBefore, recordDelimiter: plan.layout.recordDelimiter };
  const parsed = await agreed(
    exchange,
    () => parseCsvRecords(bytes(), name, plan.dialect, options, part),
    (p) => ({ rows: p.rows, badRows: p.badRows, badRowSamples: p.badRowSamples, unparsable: p.unparsable }),
  );
  // After a record csv-parse rejects (a quote in an unquoted field, text after a closing
  // quote), its quote state is no longer the parity of the quotes, so later ranks may have
  // started inside a field: parse the file whole, as one process does.
  if (parsed.all.some((p) => p.unparsable > 0)) return readWholeFile(path, options, world, exchange, 'csv-parse rejected a record for its quotes, after which the quote count no longer tells where records start');
  const counts = parsed.all;
  const fileRows = counts.reduce((n, c) => n + c.rows, 0);
  const rowStart = counts.slice(0, world.rank).reduce((n, c) => n + c.rows, 0);
  const badRows = counts.reduce((n, c) => n + c.badRows, 0);
  const badRowSamples = counts.flatMap((c) => c.badRowSamples).slice(0, BAD_ROW_SAMPLES);
  if (fileRows === 0) throw noDataRows(name, badRows, badRowSamples);
  const mine: CsvRecords = parsed.mine;
  const columns = recordColumns(mine, keptColumns(plan.names, name, options), name, options, () => 'categorical');
  return { table: new Table(columns, mine.lines, name), fileRows, rowStart, badRows, badRowSamples, wholeFileBecause: null };
}

/** The file's layout and this rank's chunk scan, or why the file cannot be split by bytes. */
async function planSplit(path: string, name: string, options: CsvOptions, world: { rank: number; size: number }): Promise<SplitPlan | string> {
  // A quote inside an unquoted field is then text, not the start of a quoted field, so the
  // quote count does not tell which line ends are inside fields.
  if (options.relaxQuotes) return 'relaxQuotes is on';
  // A gzip stream cannot be entered at a byte offset.
  if (options.gzip ?? (path.endsWith('.gz') || (await hasGzipMagic(path, name)))) return 'it is gzipped';
  const fh = await openNamed(path, name);
  try {
    const size = (await fh.stat()).size;
    const head = new Uint8Array(Math.min(size, SNIFF_BYTES + 1));
    await readFully(fh, head, 0, name);
    const dialect = csvDialect(Buffer.from(head.buffer, 0, Math.min(head.length, SNIFF_BYTES)).toString('utf8'), name, options);
    // csv-parse's escape character is `"`: with another quote character, `"` followed by the
    // quote inside a field is an escaped quote, and the quote parity is not the parser's state.
    if (dialect.quote !== '"') return `its quote character is ${dialect.quote}, not "`;
    if (/["\r\n]/.test(dialect.delimiter)) return `its delimiter ${JSON.stringify(dialect.delimiter)} holds a quote or a line end`;
    const layout = csvLayout(head, options.header ?? true);
    if (typeof layout === 'string') return layout;
    const first = await parseCsvRecords(Readable.from([Buffer.from(head.buffer, 0, layout.firstRecordEnd)]), name, dialect, { ...options, onBadRow: 'skip' });
    if (first.names === null || first.badRows > 0) return 'its first record is not a clean record';
    const chunkStart = Math.floor((size * world.rank) / world.size), chunkEnd = Math.floor((size * (world.rank + 1)) / world.size);
    const scanner = new ChunkScanner(chunkStart, layout.recordDelimiter);
    const block = new Uint8Array(Math.min(SCAN_BLOCK, Math.max(1, chunkEnd - chunkStart)));
    for (let at = chunkStart; at < chunkEnd; ) {
      const n = Math.min(block.length, chunkEnd - at);
      await readFully(fh, block.subarray(0, n), at, name);
      scanner.feed(block.subarray(0, n));
      at += n;
    }
    const next = new Uint8Array(1);
    const scan = scanner.finish(chunkEnd < size ? (await readFully(fh, next, chunkEnd, name), next[0]) : -1);
    return { size, dialect, layout, names: first.names, scan };
  } finally {
    await fh.close();
  }
}

async function readFully(fh: FileHandle, into: Uint8Array, position: number, name: string): Promise<void> {
  for (let done = 0; done < into.length; ) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(into, done, into.length - done, position + done));
    } catch (e) {
      throw new Error(`${name}: cannot read: ${(e as Error).message}`);
    }
    if (bytesRead === 0) throw new Error(`${name}: the file ended at byte ${position + done} while it was being read (did it change?)`);
    done += bytesRead;
  }
}

/** Every rank parses the whole file (as before the byte split) and keeps rows [n r / W, n (r + 1) / W). */
async function readWholeFile(path: string, options: CsvOptions, world: { rank: number; size: number }, exchange: Exchange, because: string): Promise<CsvShare> {
  const { mine: all } = await agreed(exchange, () => readCsv(path, options), () => null);
  const n = all.numRows;
  const [start, end] = [Math.floor((n * world.rank) / world.size), Math.floor((n * (world.rank + 1)) / world.size)];
  const table = start === 0 && end === n ? all : all.select(Int32Array.from({ length: end - start }, (_, i) => start + i));
  return { table, fileRows: n, rowStart: start, badRows: all.report?.badRows ?? 0, badRowSamples: all.report?.badRowSamples ?? [], wholeFileBecause: because };
}

/**
 * Runs `work` on this rank and exchanges its summary, or its error: every rank throws the
 * first failing rank's error, so all leave together and no rank waits in a later exchange.
 */
async function agreed<T, S>(exchange: Exchange, work: () => Promise<T>, summary: (mine: T) => S): Promise<{ mine: T; all: S[] }> {
  let outcome: { ok: S } | { error: string };
  let mine: T | undefined;
  try {
    mine = await work();
    outcome = { ok: summary(mine) };
  } catch (e) {
    outcome = { error: (e as Error).message };
  }
  const all = await exchange(outcome);
  const failed = all.find((o): o is { error: string } => 'error' in o);
  if (failed) throw new Error(failed.error);
  return { mine: mine as T, all: all.map((o) => (o as { ok: S }).ok) };
}
