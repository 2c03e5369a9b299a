// Data-step defaults and the checks that keep it from failing silently: the OOV id that
// learns "rare or new", missing-value tokens, id columns, dedupe with given splits, leaks,
// text in numeric columns, labels with no rows, and feature config fields.
import test from 'ava';
import { FeaturePipeline, Table, readCsvString, DEFAULT_MISSING } from '../src/data/index.js';
import { InputEncoder } from '../src/mtl/index.js';
import { prepareData } from '../src/cli/prepare.js';
import type { JobConfig } from '../src/cli/config.js';
import { tempFile } from './helpers/tmp.js';

const ids = (enc: unknown) => Array.from((enc as { ids: Int32Array }).ids);

test('unseen values: training values seen once share the OOV id 0 with unseen values, and transform counts them per feature', (t) => {
  const train = Table.fromColumns({ user: ['u1', 'u1', 'u2', 'u3', 'u3', 'u4'], tags: ['a|b', 'a', 'b|c', 'a', 'b', 'a'] }, { types: { tags: 'multihot' } });
  const p = FeaturePipeline.fit(train, { features: [{ name: 'user' }, { name: 'tags' }] });
  const user = p.features[0];
  // Default minCount 2: the singletons u2 and u4 train id 0, which new users get too.
  t.true(user.kind === 'categorical' && user.vocab!.join() === 'u1,u3');
  t.deepEqual(ids(p.transform(train).features.user), [1, 1, 0, 2, 2, 0]);
  const enc = p.transform(Table.fromColumns({ user: ['u1', 'new', 'u4', null], tags: ['a|zzz|c', 'b', null, 'yyy'] }, { types: { tags: 'multihot' } }));
  t.deepEqual(ids(enc.features.user), [1, 0, 0, 0]);
  // Counts of present values out of the vocabulary (multi-hot: tags); missing cells are not counted.
  t.deepEqual(enc.unseen, { user: 2, tags: 3 });
  // Hashed features have no vocabulary: nothing is unseen.
  const hashed = FeaturePipeline.fit(train, { features: [{ name: 'user', hashBuckets: 16 }] });
  t.deepEqual(hashed.transform(Table.fromColumns({ user: ['new'], tags: ['a'] })).unseen, {});
});

test('unseen values: row 0 (OOV / missing) of every embedding table starts at zero, other rows are random', (t) => {
  const encoder = new InputEncoder([
    { name: 'user', kind: 'categorical', cardinality: 50 },
    { name: 'tags', kind: 'multihot', cardinality: 10 },
    { name: 'x', kind: 'numeric', width: 1 },
  ], { embeddingDim: 4 });
  const tables = encoder.namedParameters().filter(([n]) => /emb_/.test(n));
  t.is(tables.length, 2);
  for (const [name, w] of tables) {
    const data = w.data();
    t.deepEqual(Array.from(data.subarray(0, 4)), [0, 0, 0, 0], name);
    t.true(Array.from(data.subarray(4, 8)).some((v) => v !== 0), name);
  }
});

test('defaults: missing values are the empty cell, NA, NaN, nan, null and NULL; None, N/A and ? are values', async (t) => {
  t.deepEqual([...DEFAULT_MISSING].sort(), ['', 'NA', 'NULL', 'NaN', 'nan', 'null'].sort());
  const table = await readCsvString('level,n\nNone,1\nNone,NA\n?,NaN\nN/A,null\nNA,\nlow,NULL\nnull,nan\n', { name: 'census.csv' });
  const level = table.column('level');
  t.is(level.type, 'categorical');
  const cells = Array.from({ length: table.numRows }, (_, i) => table.cell(i, 'level'));
  t.deepEqual(cells, ['None', 'None', '?', 'N/A', '', 'low', '']);
  const n = table.column('n');
  t.true(n.type === 'numeric' && n.invalid === 0);
});

test('defaults: an integer column named like an id is categorical (userId, movie_id, ID), other names stay numeric', async (t) => {
  const table = await readCsvString('userId,movie_id,ID,paid,valid,score_id,rating\n1,10,7,1,0,1.5,4\n2,11,8,0,1,2.5,3\n1,10,9,1,1,3.5,5\n');
  t.deepEqual(table.schema(), {
    userId: 'categorical',
    movie_id: 'categorical',
    ID: 'categorical',
    paid: 'numeric',
    valid: 'numeric',
    score_id: 'numeric', // not integers
    rating: 'numeric',
  });
});

test('defaults: a numeric column with a distinct integer on every training row is flagged in pipeline.warnings', (t) => {
  const n = 40;
  const train = Table.fromColumns({
    account: Array.from({ length: n }, (_, i) => 5000 + i * 7),
    price: Array.from({ length: n }, (_, i) => 1.25 + i * 0.5), // all distinct, not integers: a measurement
    visits: Array.from({ length: n }, (_, i) => i % 5),
    y: Array.from({ length: n }, (_, i) => (i * 7919) % 3 === 0 ? 'yes' : 'no'),
  });
  const p = FeaturePipeline.fit(train, { tasks: [{ name: 'y', type: 'binary' }] });
  t.is(p.warnings.length, 1);
  t.regex(p.warnings[0], /^feature 'account' \(column 'account'\): numeric with a distinct integer on each of its 40 training rows, like an id/);
});

function shopConfig(path: string, extra: Partial<JobConfig['data']> = {}): JobConfig {
  return {
    data: { path, ...extra },
    tasks: [{ name: 'clicked', type: 'binary' }],
    model: {},
    training: {},
  } as JobConfig;
}

test('defaults: dedupe removes and counts duplicates of a random split, and never removes rows of a split given by column or files', async (t) => {
  const rows = Array.from({ length: 30 }, (_, i) => `${i},${i % 3 ? 'a' : 'b'},${i % 2},${i < 20 ? 'train' : i < 25 ? 'validation' : 'test'}`);
  // Exact copies: two of a training row, one of a test row (lines 32-34).
  const text = ['n,c,clicked,part', ...rows, rows[0], rows[0], rows[29]].join('\n') + '\n';
  const path = tempFile('dups.csv', text);
  const random = await prepareData(shopConfig(path, { split: { kind: 'random', validation: 0.1, test: 0.1 }, drop: ['part'] }), 1);
  const kept = random.train.numRows + random.validation.numRows + random.test.numRows;
  t.is(random.cleaning.duplicateRows, 33 - kept);
  t.is(random.cleaning.duplicateRows, 3);
  t.deepEqual(random.cleaning.duplicateRowLines, [32, 33, 34]);

  const byColumn = await prepareData(shopConfig(path, { split: { kind: 'column', column: 'part' } }), 1);
  t.is(byColumn.cleaning.duplicateRows, 0);
  t.deepEqual([byColumn.train.numRows, byColumn.validation.numRows, byColumn.test.numRows], [22, 5, 6]);
  const explicit = await prepareData(shopConfig(path, { split: { kind: 'column', column: 'part' }, dedupe: true }), 1);
  t.true(explicit.warnings.some((w) => /^data\.dedupe: no rows removed, since the split is given \(by column 'part'\)/.test(w)));

  const header = 'n,c,clicked\n';
  const train = tempFile('train.csv', header + '1,a,1\n1,a,1\n2,b,0\n3,a,0\n');
  const validation = tempFile('validation.csv', header + '1,a,1\n1,a,1\n');
  const testFile = tempFile('test.csv', header + '2,b,0\n2,b,0\n');
  const files = await prepareData(shopConfig(train, { validationPath: validation, testPath: testFile }), 1);
  t.is(files.cleaning.duplicateRows, 0);
  t.deepEqual([files.train.numRows, files.validation.numRows, files.test.numRows], [4, 2, 2]);
});

test('nothing silent 2: an all-empty label column is an error naming the column and the file', async (t) => {
  const table = await readCsvString('x,clicked,bought\n1,1,\n2,0,NA\n3,1,\n', { name: 'shop.csv' });
  t.throws(() => FeaturePipeline.fit(table, { tasks: [{ name: 'click', column: 'clicked', type: 'binary' }, { name: 'purchase', column: 'bought', type: 'binary' }] }), {
    message: "shop.csv, column 'bought': task 'purchase' has no labelled row in the training split (every cell is empty or a missing-value token)",
  });
});

test('nothing silent 3: a feature reading a task column is an error', async (t) => {
  const table = await readCsvString('x,clicked\n1,1\n2,0\n', { name: 'shop.csv' });
  t.throws(() => FeaturePipeline.fit(table, { features: [{ name: 'x' }, { name: 'was_clicked', column: 'clicked' }], tasks: [{ name: 'click', column: 'clicked', type: 'binary' }] }), {
    message: "feature 'was_clicked': reads column 'clicked', the label of task 'click'; a label cannot be an input (remove the feature)",
  });
});

test('nothing silent 3: a feature that separates a binary task almost perfectly is warned about; an id column seen once per row is not', (t) => {
  const n = 400;
  const clicked = Array.from({ length: n }, (_, i) => ((i * 37) % 10 < 3 ? 1 : 0)); // 30% base rate
  const train = Table.fromColumns({
    // Filled only for clicked rows: missing exactly when clicked = 0.
    purchased: clicked.map((c, i) => (c ? i % 2 : null)),
    // The same leak as a categorical column.
    status: clicked.map((c) => (c ? 'opened' : 'none')),
    session: Array.from({ length: n }, (_, i) => `s${i}`), // unique per row: pure but not a leak
    device: Array.from({ length: n }, (_, i) => ['mobile', 'desktop'][i % 2]),
    clicked,
  });
  const p = FeaturePipeline.fit(train, { tasks: [{ name: 'click', column: 'clicked', type: 'binary' }] });
  const leaks = p.warnings.filter((w) => /separates the training labels/.test(w));
  t.is(leaks.length, 2);
  t.regex(leaks[0], /^feature 'purchased' \(column 'purchased'\) separates the training labels of task 'click' almost perfectly: 100\.0% of the labelled rows have missing \/ present cells/);
  t.regex(leaks[1], /^feature 'status' .*\(base rate 30\.0%\)/);
});

test('nothing silent 4: text cells in a numeric column are a warning in pipeline.warnings; mostly text is an error naming file, column, cell and line', async (t) => {
  const rows = Array.from({ length: 30 }, (_, i) => `${i === 4 ? 'n/a yet' : i * 2},${i % 2}`);
  const few = await readCsvString(['price,y', ...rows].join('\n'), { name: 'shop.csv' });
  const p = FeaturePipeline.fit(few, { tasks: [{ name: 'y', type: 'binary' }] });
  t.deepEqual(p.warnings, ["shop.csv, column 'price': 1 cells are not numbers (e.g. 'n/a yet' on line 6); they are treated as missing (filled with the training mean)"]);
  // Declared numeric in the config, words in the file: an error rather than an all-missing column.
  const words = await readCsvString('size,y\nsmall,1\nlarge,0\n3,1\nmedium,0\n', { name: 'shop.csv' });
  t.throws(() => FeaturePipeline.fit(words, { features: [{ name: 'size', kind: 'numeric' }], tasks: [{ name: 'y', type: 'binary' }] }), {
    message: "shop.csv, column 'size': declared numeric but 3 of its 4 present cells are not numbers (e.g. 'small' on line 2); declare it categorical or text, or fix the cells",
  });
  // A minority of words in a declared column: the same warning, with the fill it gets.
  const some = await readCsvString('size,y\n1,1\nlarge,0\n3,1\n5,0\n', { name: 'shop.csv' });
  const q = FeaturePipeline.fit(some, { features: [{ name: 'size', kind: 'numeric', fill: 'median' }], tasks: [{ name: 'y', type: 'binary' }] });
  t.deepEqual(q.warnings, ["shop.csv, column 'size': 1 cells are not numbers (e.g. 'large' on line 3); they are treated as missing (filled with the training median)"]);
});

test('nothing silent 7: transform counts multiclass labels whose class training never saw', async (t) => {
  const train = await readCsvString('x,category,tags\n1,shoes,a\n2,bags,a|b\n3,shoes,b\n');
  const p = FeaturePipeline.fit(train, { features: [{ name: 'x' }], tasks: [{ name: 'category', type: 'multiclass' }, { name: 'tags', type: 'multilabel' }] });
  const evalRows = await readCsvString('x,category,tags\n1,toys,a|zz\n2,shoes,b\n3,toys,\n4,,yy\n');
  const enc = p.transform(evalRows);
  t.deepEqual(Array.from(enc.labels.category.values), [-1, 1, -1, -1]);
  t.deepEqual(enc.unseenClasses, { category: 2, tags: 2 });
  t.deepEqual(p.transform(train).unseenClasses, {});
});

test('feature config: every bad field is an error naming the feature and the field', (t) => {
  const train = Table.fromColumns({ price: [1, 2, 10, null], tags: ['a|b', 'b', 'a', 'c'], y: ['yes', 'no', 'yes', 'no'] }, { types: { tags: 'multihot' } });
  const fit = (features: unknown[]) => () => FeaturePipeline.fit(train, { features: features as never, tasks: [{ name: 'y', type: 'binary' }] });
  t.throws(fit([{ name: 'price', fill: 'avg' }]), { message: `feature 'price': field 'fill' must be 'mean', 'median' or 'zero', got "avg"` });
  t.throws(fit([{ name: 'tags', separator: '' }]), { message: `feature 'tags': field 'separator' must be a non-empty string, got ""` });
  t.throws(fit([{ name: 'tags', minCount: 0 }]), { message: "feature 'tags': field 'minCount' must be a positive integer, got 0" });
  t.throws(fit([{ name: 'tags', hashBuckets: 2.5 }]), { message: "feature 'tags': field 'hashBuckets' must be a positive integer, got 2.5" });
  t.throws(fit([{ name: 'price', scale: 'log' }]), { message: /^feature 'price': field 'scale' must be/ });
  t.throws(fit([{ name: 'price', missingFlag: 'yes' }]), { message: /^feature 'price': field 'missingFlag' must be true, false or 'auto'/ });
  t.throws(fit([{ name: 'price', kind: 'number' }]), { message: /^feature 'price': field 'kind' must be one of categorical, numeric, multihot, text/ });
  t.throws(fit([{ name: 'price', column: '' }]), { message: /^feature 'price': field 'column' must be a non-empty string/ });
  t.throws(fit([{ name: 'price', minCoutn: 3 }]), { message: /^feature 'price': unknown field 'minCoutn'/ });
  t.throws(fit([{ name: '' }]), { message: /field 'name' must be a non-empty string/ });
  // A field the feature's kind does not read would be ignored: an error instead.
  t.throws(fit([{ name: 'price', minCount: 3 }]), { message: "feature 'price': field 'minCount' does not apply to a numeric feature (it reads scale, fill, missingFlag)" });
  t.throws(fit([{ name: 'tags', kind: 'categorical', hashBuckets: 8, minCount: 2 }]), { message: /^feature 'tags': field 'minCount' has no effect with hashBuckets/ });
  // fill: 'median' is the training median (1, 2, 10 -> 2), before scaling.
  const p = FeaturePipeline.fit(train, { features: [{ name: 'price', fill: 'median', scale: 'none' }], tasks: [{ name: 'y', type: 'binary' }] });
  const values = (p.transform(train).features.price as { values: Float32Array }).values;
  t.deepEqual(Array.from(values), [1, 0, 2, 0, 10, 0, 2, 1]);
});
