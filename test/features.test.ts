// Feature columns: vocabularies (min-count, OOV, hashing), scalers with missing flags, bags
// for multi-hot and text, labels per the contract, and the JSON round trip.
import test from 'ava';
import { FeaturePipeline, Table, readCsvString, textGrams, fnv1a } from '../src/data/index.js';

const near = (a: number, b: number, tol = 1e-6) => Math.abs(a - b) <= tol;

test('categorical: vocabulary by frequency, min-count and an OOV bucket at id 0', (t) => {
  const train = Table.fromColumns({ c: ['a', 'b', 'a', 'c', 'a', 'b', null] });
  const p = FeaturePipeline.fit(train, { features: [{ name: 'c', minCount: 2 }] });
  t.deepEqual(p.featureSpecs, [{ name: 'c', kind: 'categorical', cardinality: 3 }]);
  const f = p.features[0];
  t.true(f.kind === 'categorical' && f.vocab!.join() === 'a,b');
  const test_ = Table.fromColumns({ c: ['b', 'a', 'c', 'zzz', null] });
  const enc = p.transform(test_).features.c;
  t.true(enc.kind === 'categorical');
  // a=1, b=2; c (below min-count), unseen and missing -> 0.
  t.deepEqual(Array.from((enc as { ids: Int32Array }).ids), [2, 1, 0, 0, 0]);
});

test('categorical: maxVocab and hashing into a fixed number of buckets', (t) => {
  const train = Table.fromColumns({ c: ['a', 'b', 'a', 'c', 'a', 'b'] });
  const capped = FeaturePipeline.fit(train, { features: [{ name: 'c', maxVocab: 1 }] });
  t.deepEqual(capped.featureSpecs[0], { name: 'c', kind: 'categorical', cardinality: 2 });
  const hashed = FeaturePipeline.fit(train, { features: [{ name: 'c', hashBuckets: 8 }] });
  t.deepEqual(hashed.featureSpecs[0], { name: 'c', kind: 'categorical', cardinality: 9 });
  const ids = (hashed.transform(Table.fromColumns({ c: ['a', 'never-seen', null] })).features.c as { ids: Int32Array }).ids;
  t.is(ids[0], 1 + (fnv1a('a') % 8));
  t.is(ids[1], 1 + (fnv1a('never-seen') % 8));
  t.is(ids[2], 0);
  for (const id of ids) t.true(id >= 0 && id < 9);
});

test('numeric: standardise with the training mean/std, missing filled with the mean and flagged', (t) => {
  const train = Table.fromColumns({ x: [1, 2, 3, null] });
  const p = FeaturePipeline.fit(train, { features: [{ name: 'x' }] });
  t.deepEqual(p.featureSpecs, [{ name: 'x', kind: 'numeric', width: 2 }]);
  const enc = p.transform(Table.fromColumns({ x: [2, 4, null] })).features.x as { width: number; values: Float32Array };
  const std = Math.sqrt(2 / 3);
  t.is(enc.width, 2);
  t.true(near(enc.values[0], 0) && enc.values[1] === 0);
  t.true(near(enc.values[2], 2 / std, 1e-6) && enc.values[3] === 0);
  t.true(near(enc.values[4], 0) && enc.values[5] === 1); // mean fill standardises to 0
  // No missing values in training: width 1 unless asked.
  const full = FeaturePipeline.fit(Table.fromColumns({ x: [1, 2, 3] }), { features: [{ name: 'x' }] });
  t.deepEqual(full.featureSpecs, [{ name: 'x', kind: 'numeric', width: 1 }]);
  const flagged = FeaturePipeline.fit(Table.fromColumns({ x: [1, 2, 3] }), { features: [{ name: 'x', missingFlag: true }] });
  t.deepEqual(flagged.featureSpecs, [{ name: 'x', kind: 'numeric', width: 2 }]);
});

test('numeric: min-max scaling, zero fill, and constant columns do not divide by zero', (t) => {
  const train = Table.fromColumns({ x: [10, 20, 30, null], k: [5, 5, 5, 5] });
  const p = FeaturePipeline.fit(train, { features: [{ name: 'x', scale: 'minmax', fill: 'zero' }, { name: 'k' }] });
  const enc = p.transform(Table.fromColumns({ x: [10, 25, 40, null], k: [5, 6, 5, 5] }));
  const x = enc.features.x as { values: Float32Array };
  t.deepEqual(Array.from(x.values), [0, 0, 0.75, 0, 1.5, 0, -0.5, 1]);
  const k = enc.features.k as { values: Float32Array };
  t.deepEqual(Array.from(k.values), [0, 1, 0, 0]);
});

test('multi-hot cells become bags with offsets; unseen tags map to the OOV id', (t) => {
  const train = Table.fromColumns({ tags: ['a|b', 'b|c', 'a', 'b|a'] }, { types: { tags: 'multihot' } });
  const p = FeaturePipeline.fit(train, { features: [{ name: 'tags', minCount: 1 }] });
  t.deepEqual(p.featureSpecs, [{ name: 'tags', kind: 'multihot', cardinality: 4 }]);
  const enc = p.transform(Table.fromColumns({ tags: ['b|zzz', null, 'c| a '] }, { types: { tags: 'multihot' } })).features.tags;
  t.true(enc.kind === 'multihot');
  const bag = enc as { ids: Int32Array; offsets: Int32Array };
  // vocab by count: b(3), a(3) -> a first on ties by value: a=1, b=2, c=3.
  t.deepEqual(Array.from(bag.offsets), [0, 2, 2, 4]);
  t.deepEqual(Array.from(bag.ids), [2, 0, 3, 1]);
});

test('text: lower-cased tokens and hashed word n-grams', (t) => {
  t.deepEqual(textGrams('Red  Cotton-Shirt!', 2), ['red', 'cotton', 'shirt', 'red cotton', 'cotton shirt']);
  const train = Table.fromColumns({ title: ['Red cotton shirt', 'blue jeans'] }, { types: { title: 'text' } });
  const p = FeaturePipeline.fit(train, { features: [{ name: 'title', hashBuckets: 1000, ngrams: 2 }] });
  t.deepEqual(p.featureSpecs, [{ name: 'title', kind: 'text', cardinality: 1001 }]);
  const enc = p.transform(Table.fromColumns({ title: ['RED shirt', ''] }, { types: { title: 'text' } })).features.title as { ids: Int32Array; offsets: Int32Array };
  t.deepEqual(Array.from(enc.offsets), [0, 3, 3]);
  t.deepEqual(Array.from(enc.ids), ['red', 'shirt', 'red shirt'].map((g) => 1 + (fnv1a(g) % 1000)));
});

test('default features: every column but tasks and excluded ones, of its column type', async (t) => {
  const table = await readCsvString('id,age,job,y\n1,30,a,yes\n2,40,b,no\n3,50,a,yes\n');
  const p = FeaturePipeline.fit(table, { tasks: [{ name: 'y', type: 'binary' }], exclude: ['id'] });
  // job 'b' is seen once: below the default minCount 2 it shares the OOV id 0 with unseen values.
  t.deepEqual(p.featureSpecs, [
    { name: 'age', kind: 'numeric', width: 1 },
    { name: 'job', kind: 'categorical', cardinality: 2 },
  ]);
  t.deepEqual(p.taskSpecs, [{ name: 'y', type: 'binary', outputs: 1 }]);
  t.deepEqual(p.schema(), { age: 'numeric', job: 'categorical' });
});

test('labels: binary, multiclass, multilabel and regression with missing values', async (t) => {
  const text = 'x,b,m,ml,r\n1,yes,cat,a|b,1.5\n2,No,dog,,2\n3,,cat,b,\n4,TRUE,,a,-1\n5,0,bird,c,3\n';
  const table = await readCsvString(text);
  const p = FeaturePipeline.fit(table, {
    features: [{ name: 'x' }],
    tasks: [
      { name: 'b', type: 'binary' },
      { name: 'm', type: 'multiclass' },
      { name: 'ml', type: 'multilabel', column: 'ml' },
      { name: 'r', type: 'regression' },
    ],
  });
  t.deepEqual(p.taskSpecs.map((s) => [s.name, s.outputs]), [['b', 1], ['m', 3], ['ml', 3], ['r', 1]]);
  const { labels } = p.transform(table);
  t.deepEqual(Array.from(labels.b.values), [1, 0, NaN, 1, 0]);
  t.true(labels.m.type === 'multiclass' && labels.m.values instanceof Int32Array);
  t.deepEqual(Array.from(labels.m.values), [1, 2, 1, -1, 0]); // bird, cat, dog
  t.deepEqual(Array.from(labels.ml.values), [1, 1, 0, NaN, NaN, NaN, 0, 1, 0, 1, 0, 0, 0, 0, 1]);
  t.deepEqual(Array.from(labels.r.values), [1.5, 2, NaN, -1, 3]);
});

test('a label that is not binary is an error naming file, line and column', async (t) => {
  const table = await readCsvString('x,y\n1,yes\n2,no\n3,maybe\n', { name: 'shop.csv' });
  t.throws(() => FeaturePipeline.fit(table, { tasks: [{ name: 'conv', column: 'y', type: 'binary' }] }).transform(table), {
    message: /^shop\.csv line 4, column 'y': label 'maybe' is not binary for binary task 'conv'/,
  });
  const custom = FeaturePipeline.fit(table.select([0, 1]), { features: [{ name: 'x' }], tasks: [{ name: 'y', type: 'binary', positive: ['yes'] }] });
  t.deepEqual(Array.from(custom.transform(table.select([0, 1])).labels.y.values), [1, 0]);
  t.throws(() => custom.transform(table), { message: /^shop\.csv line 4, column 'y'/ });
});

test('transform checks the input and label columns; labels can be left out for prediction', async (t) => {
  const train = await readCsvString('a,b,y\n1,x,1\n2,z,0\n', { name: 'train.csv' });
  const p = FeaturePipeline.fit(train, { tasks: [{ name: 'y', type: 'binary' }] });
  const noLabel = await readCsvString('a,b\n3,x\n', { name: 'new.csv' });
  t.throws(() => p.transform(noLabel), { message: "new.csv: missing column 'y' (columns are: a, b)" });
  const enc = p.transform(noLabel, { labels: 'none' });
  t.deepEqual(Object.keys(enc.labels), []);
  const noB = await readCsvString('a,y\n3,1\n', { name: 'bad.csv' });
  t.throws(() => p.transform(noB), { message: "bad.csv: missing column 'b' (columns are: a, y)" });
  t.throws(() => FeaturePipeline.fit(train, { tasks: [{ name: 'clicked', type: 'binary' }] }), { message: /^train\.csv: missing column 'clicked'/ });
});

test('a fitted pipeline round-trips through JSON and re-applies exactly', async (t) => {
  const text = 'n,c,tags,title,y\n1,a,x|y,Hello world,yes\n,b,y,good day,no\n3,a,,Hello again,yes\n4,c,x,,no\n';
  const table = await readCsvString(text, { types: { title: 'text' } });
  const p = FeaturePipeline.fit(table, { tasks: [{ name: 'y', type: 'binary' }], defaults: { minCount: 1 } });
  const json = JSON.parse(JSON.stringify(p.toJSON()));
  const q = FeaturePipeline.fromJSON(json);
  t.deepEqual(q.featureSpecs, p.featureSpecs);
  const newRows = await readCsvString('n,c,tags,title,y\n2,b,y|z,hello WORLD,no\n', { types: q.schema() });
  t.deepEqual(q.transform(newRows), p.transform(newRows));
  t.throws(() => FeaturePipeline.fromJSON({ format: 'other' }), { message: /not a trunkline feature pipeline/ });
  t.throws(() => FeaturePipeline.fromJSON({ ...json, features: [{ name: 'n', column: 'n', kind: 'numeric', center: 0, divisor: 0, fill: 0 }] }), {
    message: /feature 'n': bad scaler/,
  });
});
