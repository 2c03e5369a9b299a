// CSV reading: gzip, dialect sniffing, schema inference and overrides, bad rows, clear errors,
// and the embedded Bank Marketing data.
import test from 'ava';
import { gzipSync } from 'node:zlib';
import { readCsv, readCsvString, sniffDialect, loadBankMarketing, bankMarketingPath, cleanTable, Table } from '../src/data/index.js';
import { tempFile } from './helpers/tmp.js';

const SIMPLE = 'age,job,score,tags\n31,admin,1.5,a|b\n45,"tech, senior",NA,b\n22,admin,3,a|c|b\n';

test('reads a plain CSV into typed columns', async (t) => {
  const table = await readCsv(tempFile('simple.csv', SIMPLE));
  t.is(table.numRows, 3);
  t.deepEqual(table.columnNames, ['age', 'job', 'score', 'tags']);
  t.deepEqual(table.schema(), { age: 'numeric', job: 'categorical', score: 'numeric', tags: 'multihot' });
  const age = table.column('age');
  t.true(age.type === 'numeric' && age.values instanceof Float64Array);
  t.deepEqual(Array.from((age as { values: Float64Array }).values), [31, 45, 22]);
  t.true(Number.isNaN(table.column('score').type === 'numeric' ? (table.column('score') as { values: Float64Array }).values[1] : 0));
  t.is(table.cell(1, 'job'), 'tech, senior');
  t.deepEqual(Array.from(table.lineNumbers), [2, 3, 4]);
  t.is(table.report!.delimiter, ',');
  t.false(table.report!.gzip);
});

test('gzip is detected by extension and by magic bytes', async (t) => {
  const gz = gzipSync(Buffer.from(SIMPLE));
  const byExt = await readCsv(tempFile('data.csv.gz', gz));
  const byMagic = await readCsv(tempFile('data.bin', gz));
  for (const table of [byExt, byMagic]) {
    t.is(table.numRows, 3);
    t.true(table.report!.gzip);
    t.is(table.cell(2, 'tags'), 'a|c|b');
  }
});

test('a damaged gzip file is a clear error, not a hang', async (t) => {
  const big = 'a,b\n' + Array.from({ length: 5000 }, (_, i) => `${i},v${i % 7}`).join('\n');
  const gz = gzipSync(Buffer.from(big));
  await t.throwsAsync(readCsv(tempFile('cut.csv.gz', gz.subarray(0, gz.length >> 1))), { message: /^cut\.csv\.gz: cannot read: unexpected end of file/ });
  await t.throwsAsync(readCsv(tempFile('bad.csv.gz', Buffer.from('not gzip at all'))), { message: /^bad\.csv\.gz: cannot read: incorrect header check/ });
});

test('delimiter and quote are sniffed from the first lines', async (t) => {
  const cases: [string, string, string][] = [
    [';', '"', 'a;b;c\n1;"x;y";3\n4;"z";6\n'],
    ['\t', '"', 'a\tb\tc\n1\tx,y\t3\n4\tz\t6\n'],
    ['|', '"', 'a|b|c\n1|x|3\n4|z|6\n'],
    [',', "'", "a,b,c\n1,'x,y',3\n4,'z',6\n"],
  ];
  for (const [delim, quote, text] of cases) {
    t.deepEqual(sniffDialect(text), { delimiter: delim, quote }, JSON.stringify(text));
    const table = await readCsvString(text);
    t.deepEqual(table.columnNames, ['a', 'b', 'c']);
    t.is(table.numRows, 2);
    t.is(table.cell(0, 'b'), delim === '|' ? 'x' : delim === '\t' ? 'x,y' : delim === ';' ? 'x;y' : 'x,y');
  }
});

test('a byte-order mark and CRLF line ends are handled', async (t) => {
  const table = await readCsvString('\uFEFFa;b\r\n1;"x"\r\n3;z\r\n');
  t.deepEqual(table.columnNames, ['a', 'b']);
  t.is(table.numRows, 2);
  t.is(table.cell(1, 'b'), 'z');
  t.deepEqual(Array.from(table.lineNumbers), [2, 3]);
});

test('ragged rows are skipped, counted and located by line number', async (t) => {
  const text = 'a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,11,12\n13,14,15\n';
  const table = await readCsv(tempFile('ragged.csv', text));
  t.is(table.numRows, 3);
  t.is(table.report!.badRows, 2);
  t.deepEqual(table.report!.badRowSamples, [
    { line: 3, message: 'expected 3 fields, found 2' },
    { line: 5, message: 'expected 3 fields, found 4' },
  ]);
  t.deepEqual(Array.from(table.lineNumbers), [2, 4, 6]);
});

test("onBadRow 'error' throws naming the file, the line and the field counts", async (t) => {
  const header = Array.from({ length: 17 }, (_, i) => `c${i}`).join(',');
  const good = Array.from({ length: 17 }, (_, i) => i).join(',');
  const short = Array.from({ length: 15 }, (_, i) => i).join(',');
  const lines = [header, ...Array.from({ length: 15 }, () => good), short, good];
  const path = tempFile('file.csv', lines.join('\n') + '\n');
  await t.throwsAsync(readCsv(path, { onBadRow: 'error' }), { message: 'file.csv line 17: expected 17 fields, found 15' });
});

test('unparsable quotes are reported with their line', async (t) => {
  const text = 'a,b\n1,2\n3,"x"y\n5,6\n7,8\n';
  const table = await readCsvString(text, { name: 'q.csv' });
  t.is(table.report!.badRows, 1);
  // The rows after the broken one are kept.
  t.deepEqual(Array.from(table.lineNumbers), [2, 4, 5]);
  t.is(table.report!.badRowSamples[0].line, 3);
  t.regex(table.report!.badRowSamples[0].message, /quotes/);
  await t.throwsAsync(readCsvString(text, { name: 'q.csv', onBadRow: 'error' }), { message: /^q\.csv line 3: unparsable quotes/ });
  await t.throwsAsync(readCsvString('a,b\n1,"open\n', { name: 'q.csv', onBadRow: 'error' }), { message: /^q\.csv line \d+: a quoted field is never closed/ });
});

test('nothing silent: an unterminated quote is reported at the line it opens and swallows no later row', async (t) => {
  // The quote opened on line 2 never closes: lines 3 and 4 are rows of their own.
  const text = 'a,b,c\n1,"x,2\n3,y,4\n5,z,6\n';
  const tbl = await readCsvString(text, { name: 'q.csv' });
  t.is(tbl.numRows, 2);
  t.deepEqual([tbl.cell(0, 'a'), tbl.cell(1, 'c')], ['3', '6']);
  t.deepEqual([...tbl.lineNumbers], [3, 4]);
  t.deepEqual(tbl.report!.badRowSamples, [{ line: 2, message: 'a quoted field is never closed' }]);
  await t.throwsAsync(readCsvString(text, { name: 'q.csv', onBadRow: 'error' }), { message: 'q.csv line 2: a quoted field is never closed' });
  // A stray quote that closes on a later line: reported where it opened, the rows between read again.
  const closes = 'a,b,c\n1,"x,2\n3,y,4\n5",6,7\n8,w,9\n';
  const t2 = await readCsvString(closes, { name: 'r.csv' });
  t.deepEqual(t2.report!.badRowSamples.map((b) => b.line), [2, 4]);
  t.regex(t2.report!.badRowSamples[0].message, /expected 3 fields, found 4 \(a quote opened on this line runs on to line 4\)/);
  t.deepEqual([...t2.lineNumbers], [3, 5]);
  // A quoted field with a real line break is a record, not an error.
  const multi = await readCsvString('a,b,c\n1,"two\nlines",3\n4,y,5\n');
  t.is(multi.numRows, 2);
  t.is(multi.report!.badRows, 0);
});

test('an empty file and a header without rows are clear errors', async (t) => {
  await t.throwsAsync(readCsv(tempFile('empty.csv', '')), { message: 'empty.csv: the file is empty (expected a header row and data rows)' });
  await t.throwsAsync(readCsv(tempFile('blank.csv.gz', gzipSync(Buffer.from('\n\n')))), { message: /^blank\.csv\.gz: the file is empty/ });
  await t.throwsAsync(readCsv(tempFile('header.csv', 'a,b\n')), { message: 'header.csv: no data rows after the header' });
  await t.throwsAsync(readCsv('/nonexistent/dir/nothing.csv'), { message: /nothing\.csv: cannot open/ });
});

test('a missing column is a clear error naming it and the file', async (t) => {
  const path = tempFile('shop.csv', SIMPLE);
  await t.throwsAsync(readCsv(path, { required: ['age', 'clicked'] }), { message: "shop.csv: missing column 'clicked' (columns are: age, job, score, tags)" });
  await t.throwsAsync(readCsv(path, { columns: ['nope'] }), { message: /^shop\.csv: missing column 'nope'/ });
  const table = await readCsv(path);
  t.throws(() => table.column('clicked'), { message: "shop.csv: missing column 'clicked' (columns are: age, job, score, tags)" });
  t.throws(() => table.requireColumns(['x', 'y']), { message: /^shop\.csv: missing columns 'x', 'y'/ });
});

test('schema overrides win over inference; unknown override columns are errors', async (t) => {
  const path = tempFile('o.csv', SIMPLE);
  const table = await readCsv(path, { types: { age: 'categorical', tags: 'categorical', job: 'text' } });
  t.deepEqual(table.schema(), { age: 'categorical', job: 'text', score: 'numeric', tags: 'categorical' });
  t.is(table.cell(0, 'age'), '31');
  await t.throwsAsync(readCsv(path, { types: { wrong: 'numeric' } }), { message: /^o\.csv: a type override names column 'wrong'/ });
  // A forced numeric column counts the cells that do not parse, with the first one...
  const some = await readCsv(tempFile('some.csv', 'n\n1\n2\nmany\n4\n'), { types: { n: 'numeric' } });
  const n = some.column('n');
  t.true(n.type === 'numeric' && n.invalid === 1);
  t.deepEqual(n.type === 'numeric' && n.invalidExample, { cell: 'many', line: 4 });
  // ...and one holding mostly words is an error, not a column of missing values.
  await t.throwsAsync(readCsv(path, { types: { job: 'numeric' } }), {
    message: "o.csv line 2, column 'job': declared numeric but 3 of its 3 present cells are not numbers (e.g. 'admin'); declare it categorical or text, or fix the cells",
  });
});

test('inference: text for long free-form cells, numeric tolerates a few bad cells', async (t) => {
  const rows = Array.from({ length: 40 }, (_, i) => `${i === 7 ? 'oops' : i},"a red cotton shirt number ${i}"`);
  const table = await readCsvString(['n,title', ...rows].join('\n'));
  t.deepEqual(table.schema(), { n: 'numeric', title: 'text' });
  const n = table.column('n');
  t.true(n.type === 'numeric' && n.invalid === 1);
});

test('cleaning drops duplicates and counts missing, invalid and repeated values', async (t) => {
  const text = 'a,b,c\n1,x,5\n2,y,oops\n1,x,5\n,y,7\n3,,8\n1,x,5\n4,z,9\n5,z,10\n6,z,11\n7,z,12\n8,z,13\n9,z,14\n10,z,15\n11,z,16\n12,z,17\n13,z,18\n14,z,19\n15,z,20\n16,z,21\n17,z,22\n18,z,23\n19,z,24\n';
  const table = await readCsvString(text, { name: 'c.csv' });
  const { table: clean, report } = cleanTable(table);
  t.is(report.rowsIn, 22);
  t.is(report.duplicateRows, 2);
  t.deepEqual(report.duplicateRowLines, [4, 7]);
  t.is(clean.numRows, 20);
  const [a, b, c] = report.columns;
  t.like(a, { column: 'a', missing: 1, invalid: 0 });
  t.like(b, { column: 'b', missing: 1, distinct: 3 });
  t.like(c, { column: 'c', type: 'numeric', missing: 0, invalid: 1 });
  const dropped = cleanTable(table, { dropMissing: ['a', 'b'], dedupe: false });
  t.is(dropped.report.droppedMissing, 2);
  t.is(dropped.table.numRows, 20);
});

test('Table.fromColumns builds small tables and select keeps line numbers', (t) => {
  const table = Table.fromColumns({ x: [1, 2, null], y: ['a', 'b', 'a'] });
  t.deepEqual(table.schema(), { x: 'numeric', y: 'categorical' });
  const sub = table.select([2, 0]);
  t.is(sub.cell(0, 'y'), 'a');
  t.is(sub.cell(1, 'x'), '1');
  t.is(sub.cell(0, 'x'), '');
});

test('the embedded Bank Marketing data: 45,211 rows and 17 columns', async (t) => {
  t.regex(bankMarketingPath(), /data[\\/]bank-marketing[\\/]bank-full\.csv\.gz$/);
  const table = await loadBankMarketing();
  t.is(table.numRows, 45211);
  t.is(table.numColumns, 17);
  t.deepEqual(table.columnNames, ['age', 'job', 'marital', 'education', 'default', 'balance', 'housing', 'loan', 'contact', 'day', 'month', 'duration', 'campaign', 'pdays', 'previous', 'poutcome', 'y']);
  t.is(table.report!.delimiter, ';');
  t.is(table.report!.badRows, 0);
  const y = table.column('y');
  t.true(y.type === 'categorical');
  if (y.type !== 'numeric') {
    let yes = 0;
    const yesCode = y.dictionary.indexOf('yes');
    for (const c of y.codes) if (c === yesCode) yes++;
    t.is(yes, 5289); // 11.7%
  }
});
