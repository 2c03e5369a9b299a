// A CSV file's share read by bytes (src/data/csv-range.ts): for awkward files, the W ranks'
// parts together are the file as readCsv reads it in one process, row for row, with each
// row's index, line and the bad-row report, for W = 1..5. The ranks run in this process;
// their exchanges meet in an in-process all-gather (through JSON, as gatherJson sends them).
import test, { type ExecutionContext } from 'ava';
import { gzipSync } from 'node:zlib';
import { readCsv, type CsvOptions } from '../src/data/csv.js';
import { ChunkScanner, csvLayout, csvRanges, readCsvShare, type CsvShare, type Exchange } from '../src/data/csv-range.js';
import type { Table } from '../src/data/table.js';
import { tempFile } from './helpers/tmp.js';

/** One exchange per rank; each call waits for every rank's value of the same round. */
function inProcessWorld(size: number): Exchange[] {
  const rounds: { values: unknown[]; arrived: number; done: Promise<void>; release: () => void }[] = [];
  const calls = new Array<number>(size).fill(0);
  const round = (k: number) => {
    if (!rounds[k]) {
      let release!: () => void;
      const done = new Promise<void>((resolve) => (release = resolve));
      rounds[k] = { values: [], arrived: 0, done, release };
    }
    return rounds[k];
  };
  return Array.from(
    { length: size },
    (_, rank) =>
      (async <T>(value: T): Promise<T[]> => {
        const r = round(calls[rank]++);
        r.values[rank] = JSON.parse(JSON.stringify(value));
        if (++r.arrived === size) r.release();
        await r.done;
        return r.values as T[];
      }) as Exchange,
  );
}

const readShares = (path: string, options: CsvOptions, size: number): Promise<PromiseSettledResult<CsvShare>[]> =>
  Promise.allSettled(inProcessWorld(size).map((exchange, rank) => readCsvShare(path, options, { rank, size }, exchange)));

const rowsOf = (t: Table): string[][] => Array.from({ length: t.numRows }, (_, i) => t.columnNames.map((c) => t.cell(i, c)));
const WORLD_SIZES = [1, 2, 3, 4, 5];

/**
 * The shares of `path` for W = 1..5 against readCsv in one process: every row read by
 * exactly one rank, in order, with its cells, line and index; the file's row count and bad
 * rows on every rank. `whole`: the file is expected to be parsed whole by every rank.
 */
async function sameAsOneProcess(t: ExecutionContext, path: string, options: CsvOptions = {}, whole = false): Promise<CsvShare[][]> {
  const typed = await readCsv(path, options);
  // The byte split keeps every cell as text; the whole-file parse types as readCsv does.
  const text = whole ? typed : await readCsv(path, { ...options, types: Object.fromEntries(typed.columnNames.map((c) => [c, 'categorical'])) });
  const all: CsvShare[][] = [];
  for (const size of WORLD_SIZES) {
    const settled = await readShares(path, options, size);
    const shares = settled.map((s) => (s.status === 'fulfilled' ? s.value : t.fail(`W = ${size}: ${(s.reason as Error).message}`)) as CsvShare);
    const at = `W = ${size}`;
    let start = 0;
    for (const s of shares) {
      t.is(s.rowStart, start, `${at}: rowStart`);
      start += s.table.numRows;
      t.is(s.fileRows, typed.numRows, `${at}: fileRows`);
      t.is(s.badRows, typed.report!.badRows, `${at}: badRows`);
      t.deepEqual(s.badRowSamples, typed.report!.badRowSamples, `${at}: badRowSamples`);
      t.is(s.wholeFileBecause !== null, whole, `${at}: ${s.wholeFileBecause ?? 'split by bytes'}`);
      t.deepEqual(s.table.columnNames, typed.columnNames);
    }
    t.is(start, typed.numRows, `${at}: every row read once`);
    t.deepEqual(
      shares.flatMap((s) => rowsOf(s.table)),
      rowsOf(text),
      `${at}: the rows`,
    );
    t.deepEqual(
      shares.flatMap((s) => Array.from(s.table.lineNumbers)),
      Array.from(text.lineNumbers),
      `${at}: the line numbers`,
    );
    all.push(shares);
  }
  return all;
}

// ---- awkward files ---------------------------------------------------------------------

/** Cells that need quoting: embedded delimiters, doubled quotes, LF and CR LF inside quotes, empty quoted fields. */
const AWKWARD_CELLS = ['plain', '"a, b"', '"say ""hi"""', '"two\nlines"', '"crlf\r\ninside"', '""', '', '"""quoted"" start"', '"ends in newline\n"', '"\n"', 'NA', '"a ""b""\r\nc, d\n"'];

function awkwardFile(rows: number, eol: string, options: { trailing?: boolean; emptyLines?: boolean; bom?: boolean } = {}): string {
  const lines = ['id,text,n'];
  for (let i = 0; i < rows; i++) {
    if (options.emptyLines && i % 7 === 3) lines.push('');
    lines.push(`${i},${AWKWARD_CELLS[i % AWKWARD_CELLS.length]},${(i * 37) % 11}`);
  }
  return (options.bom ? '\uFEFF' : '') + lines.join(eol) + (options.trailing === false ? '' : eol);
}

test('quoted fields with line breaks and doubled quotes, CR LF line ends: the W parts are the one-process table', async (t) => {
  await sameAsOneProcess(t, tempFile('crlf.csv', awkwardFile(60, '\r\n')));
});

test('LF line ends, no newline at the end, empty lines and a byte-order mark', async (t) => {
  await sameAsOneProcess(t, tempFile('lf.csv', awkwardFile(45, '\n', { trailing: false, emptyLines: true, bom: true })));
  await sameAsOneProcess(t, tempFile('crlf-empty.csv', '\r\n\r\n' + awkwardFile(45, '\r\n', { emptyLines: true }) + '\r\n\r\n'));
});

test('a file smaller than W bytes, and files of one row', async (t) => {
  await sameAsOneProcess(t, tempFile('tiny.csv', 'a\n1\n'));
  await sameAsOneProcess(t, tempFile('tiny-no-eol.csv', 'a\n1'));
  await sameAsOneProcess(t, tempFile('one-row.csv', 'x,y\r\n"1\r\n2",3'));
});

test('a chunk boundary exactly on a newline, and right after one', async (t) => {
  const text = 'x,y\n1,2\n3,4\n55,6\n7,8\n9,10\n';
  const size = Buffer.byteLength(text);
  const cuts = WORLD_SIZES.flatMap((w) => Array.from({ length: w - 1 }, (_, r) => Math.floor((size * (r + 1)) / w)));
  t.true(
    cuts.some((c) => text[c] === '\n'),
    'a chunk starts on a newline',
  );
  t.true(
    cuts.some((c) => text[c - 1] === '\n'),
    'a chunk starts right after a newline',
  );
  await sameAsOneProcess(t, tempFile('cuts.csv', text));
  const crlf = text.replace(/\n/g, '\r\n');
  t.true(
    WORLD_SIZES.some((w) => Array.from({ length: w - 1 }, (_, r) => Math.floor((crlf.length * (r + 1)) / w)).some((c) => crlf[c] === '\n' && crlf[c - 1] === '\r')),
    'a chunk starts between CR and LF',
  );
  await sameAsOneProcess(t, tempFile('cuts-crlf.csv', crlf));
});

test('a quoted field longer than a chunk: ranks whose chunk holds no record start read nothing', async (t) => {
  const long = `"${'many\nlines, "" and quotes\r\n'.repeat(40)}"`;
  const shares = await sameAsOneProcess(t, tempFile('long.csv', `id,text\n1,short\n2,${long}\n3,after\n4,${long}\n`));
  t.true(
    shares[4].some((s) => s.table.numRows === 0),
    'some of 5 ranks read no row',
  );
});

test('a row with the wrong number of cells in another rank\'s part: reported once, at its line, by every rank', async (t) => {
  const rows = Array.from({ length: 50 }, (_, i) => `${i},${AWKWARD_CELLS[i % AWKWARD_CELLS.length]},${i}`);
  rows[39] = '39,too,many,cells';
  rows[43] = '43';
  const path = tempFile('ragged.csv', ['id,text,n', ...rows].join('\n') + '\n');
  const shares = await sameAsOneProcess(t, path);
  t.deepEqual(shares[1][0].badRowSamples.map((b) => b.message), ['expected 3 fields, found 4', 'expected 3 fields, found 1']);
  t.true(Math.max(...shares[1][0].table.lineNumbers) < shares[1][0].badRowSamples[0].line, 'of 2 ranks, rank 1 read the ragged rows');
  // In 'error' mode every rank throws one process's error: the first bad row's file and line.
  const expected = await readCsv(path, { onBadRow: 'error' }).then(
    () => t.fail('readCsv should throw'),
    (e: Error) => e.message,
  );
  t.regex(expected as string, /^ragged\.csv line \d+: expected 3 fields, found 4$/);
  for (const size of WORLD_SIZES) {
    const settled = await readShares(path, { onBadRow: 'error' }, size);
    t.deepEqual(
      settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : 'read')),
      new Array(size).fill(expected),
      `W = ${size}`,
    );
  }
});

test('a quote opened by mistake that runs on over lines is reported where it opened, its lines read again', async (t) => {
  await sameAsOneProcess(t, tempFile('runs-on.csv', 'a,b,c\n1,2,3\n4,"5,6\n7,8,9\n10,11,12"\n13,14,15\n16,17,18\n'));
});

test('no header, a kept subset of columns, missing values', async (t) => {
  await sameAsOneProcess(t, tempFile('no-header.csv', '1,"a\nb",x\n2,NA,y\n3,,z\n4,"""",w\n'), { header: false });
  await sameAsOneProcess(t, tempFile('no-header-bom.csv', '\uFEFF\r\n"1\r\n",a\r\n2,b\r\n\r\n3,c'), { header: false });
  await sameAsOneProcess(t, tempFile('subset.csv', awkwardFile(30, '\r\n')), { columns: ['n', 'text'], required: ['id'] });
  await sameAsOneProcess(t, tempFile('semicolons.csv', awkwardFile(30, '\n').replace(/,/g, ';')));
});

test('random files: quoting, line ends, empty lines and ragged rows mixed', async (t) => {
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  for (let f = 0; f < 40; f++) {
    const eol = pick(['\n', '\r\n']);
    const lines = ['a,b,c'];
    const rows = 5 + Math.floor(random() * 60);
    for (let i = 0; i < rows; i++) {
      if (random() < 0.05) lines.push('');
      const cells = Array.from({ length: random() < 0.05 ? 2 : 3 }, () => pick([...AWKWARD_CELLS, String(i), `w${i % 4}`]));
      lines.push(cells.join(','));
    }
    await sameAsOneProcess(t, tempFile(`random-${f}.csv`, lines.join(eol) + (random() < 0.5 ? eol : '')));
  }
});

// ---- what is read whole, and errors ----------------------------------------------------

test('a gzipped file, single quotes and broken quotes are parsed whole by every rank', async (t) => {
  const gz = await sameAsOneProcess(t, tempFile('data.csv.gz', gzipSync(Buffer.from(awkwardFile(30, '\n')))), {}, true);
  t.is(gz[1][0].wholeFileBecause, 'it is gzipped');
  const single = await sameAsOneProcess(t, tempFile('single.csv', "a,b\n1,'x,y'\n2,'z'\n3,'w'\n"), {}, true);
  t.regex(single[1][0].wholeFileBecause!, /quote character is '/);
  // A quote inside an unquoted field: csv-parse rejects the record and leaves the quote count behind.
  const broken = await sameAsOneProcess(t, tempFile('broken.csv', 'a,b\n1,x"y\n2,"z\n3\n4,w"\n5,v\n'), {}, true);
  t.regex(broken[1][0].wholeFileBecause!, /rejected a record for its quotes/);
});

test('errors are every rank\'s, named by file (and line)', async (t) => {
  const cases: [string, string, CsvOptions, RegExp][] = [
    ['empty.csv', '\n\n', {}, /^empty\.csv: the file is empty/],
    ['header-only.csv', 'a,b\n', {}, /^header-only\.csv: no data rows after the header$/],
    ['all-bad.csv', 'a,b\n1\n2\n', {}, /^all-bad\.csv: no data rows after the header \(2 bad rows skipped, first at line 2\)$/],
    ['missing.csv', 'a,b\n1,2\n3,4\n', { required: ['c'] }, /^missing\.csv: missing column 'c' \(columns are: a, b\)$/],
    ['twice.csv', 'a,a\n1,2\n3,4\n', {}, /^twice\.csv: the header names column 'a' twice$/],
  ];
  for (const [file, text, options, message] of cases) {
    const path = tempFile(file, text);
    await t.throwsAsync(readCsv(path, options), { message }, `readCsv, ${file}`);
    for (const size of [2, 3]) {
      const settled = await readShares(path, options, size);
      for (const s of settled) t.regex(s.status === 'rejected' ? (s.reason as Error).message : 'read', message, `${file}, W = ${size}`);
    }
  }
  const settled = await readShares('/nonexistent/x.csv', {}, 2);
  for (const s of settled) t.regex(s.status === 'rejected' ? (s.reason as Error).message : 'read', /x\.csv: cannot open/);
});

// ---- the pieces ------------------------------------------------------------------------

test('a chunk scan follows both quote states at its start; the ranges follow the true one', (t) => {
  const bytes = Buffer.from('a\n"b\nc"\nd\n');
  const scanner = new ChunkScanner(0, '\n');
  scanner.feed(bytes);
  // Outside quotes at the start, the first record starts after byte 1; inside, the quote at byte 2 closes and the record starts after byte 4.
  t.deepEqual(scanner.finish(-1), { quotes: 2, firstRecord: [{ offset: 2, lineBreaks: 1 }, { offset: 5, lineBreaks: 2 }], lineBreaks: [4, 4] });
  // A CR LF cut by the chunk's end is completed by the next byte; inside quotes it is two lines.
  const crlf = new ChunkScanner(10, '\r\n');
  crlf.feed(Buffer.from('x"\r\n"y\r'));
  t.deepEqual(crlf.finish(0x0a), { quotes: 2, firstRecord: [{ offset: 18, lineBreaks: 3 }, { offset: 14, lineBreaks: 1 }], lineBreaks: [2, 2] });
  const ranges = csvRanges(
    [
      { quotes: 1, firstRecord: [{ offset: 4, lineBreaks: 1 }, null], lineBreaks: [3, 3] },
      { quotes: 0, firstRecord: [{ offset: 12, lineBreaks: 1 }, { offset: 15, lineBreaks: 2 }], lineBreaks: [2, 2] },
      { quotes: 1, firstRecord: [null, null], lineBreaks: [0, 0] },
    ],
    30,
    { offset: 4, linesBefore: 1 },
  );
  t.deepEqual(ranges, [
    { start: 4, end: 15, linesBefore: 1 },
    { start: 15, end: 30, linesBefore: 5 },
    { start: 30, end: 30, linesBefore: 5 },
  ]);
});

test('the layout: record delimiter, empty lines and a quoted header before the data', (t) => {
  const head = Buffer.from('\uFEFF\r\n\r\n"a\r\nb",c\r\n1,2\r\n');
  t.deepEqual(csvLayout(head, true), { recordDelimiter: '\r\n', firstRecordEnd: 17, data: { offset: 17, linesBefore: 5 } });
  t.deepEqual(csvLayout(head, false), { recordDelimiter: '\r\n', firstRecordEnd: 17, data: { offset: 3, linesBefore: 0 } });
  t.deepEqual(csvLayout(Buffer.from('a,b\r1,2\r'), true), { recordDelimiter: '\r', firstRecordEnd: 4, data: { offset: 4, linesBefore: 1 } });
  t.regex(csvLayout(Buffer.from('"a\nb'), true) as string, /no line end outside quotes/);
});
