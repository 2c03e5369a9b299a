// DataLoader: batch shapes and dtypes per the data contract, shuffling reproducible by seed
// and epoch, dropLast, row subsets.
import test from 'ava';
import { DataLoader, FeaturePipeline, readCsvString, type EncodedDataset } from '../src/data/index.js';

async function dataset(): Promise<EncodedDataset> {
  const lines = ['n,c,tags,y,m'];
  for (let i = 0; i < 10; i++) lines.push(`${i % 4 === 3 ? '' : i},${'abc'[i % 3]},${i % 2 ? 'x|y' : i % 5 ? 'z' : ''},${i % 3 ? 'yes' : 'no'},${i % 4 === 1 ? '' : 'k' + (i % 3)}`);
  const table = await readCsvString(lines.join('\n'), { types: { tags: 'multihot' } });
  const p = FeaturePipeline.fit(table, {
    tasks: [
      { name: 'y', type: 'binary' },
      { name: 'm', type: 'multiclass' },
    ],
  });
  return p.transform(table);
}

test('batches follow the contract: shapes, dtypes, bag offsets, labels', async (t) => {
  const data = await dataset();
  const loader = new DataLoader(data, { batchSize: 4 });
  t.is(loader.numBatches, 3);
  const batches = [...loader];
  t.deepEqual(batches.map((b) => b.size), [4, 4, 2]);
  const b = batches[0];
  t.deepEqual(Object.keys(b.inputs).sort(), ['c', 'n', 'tags', 'tags.offsets']);
  t.is(b.inputs.c.dtype, 'int32');
  t.deepEqual(b.inputs.c.shape, [4]);
  t.is(b.inputs.n.dtype, 'float32');
  t.deepEqual(b.inputs.n.shape, [4, 2]); // value + missing flag
  t.deepEqual(b.inputs['tags.offsets'].shape, [4]);
  t.is(b.inputs.tags.dtype, 'int32');
  // rows 0..3 have tags '', 'x|y', 'z', 'x|y' -> bag sizes 0, 2, 1, 2.
  t.deepEqual(Array.from(b.inputs['tags.offsets'].data()), [0, 0, 2, 3]);
  t.deepEqual(b.inputs.tags.shape, [5]);
  t.is(b.labels.y.dtype, 'float32');
  t.deepEqual(Array.from(b.labels.y.data()), [0, 1, 1, 0]);
  t.is(b.labels.m.dtype, 'int32');
  t.deepEqual(Array.from(b.labels.m.data()), [0, -1, 2, 0]);
  // Gathered values equal the encoded columns.
  const last = batches[2];
  t.deepEqual(Array.from(last.rows), [8, 9]);
  t.deepEqual(Array.from(last.inputs.n.data()), Array.from(data.features.n.kind === 'numeric' ? data.features.n.values.subarray(16, 20) : []));
  for (const batch of batches) for (const x of [...Object.values(batch.inputs), ...Object.values(batch.labels)]) x.dispose();
});

test('shuffling is reproducible by seed and epoch and changes across epochs', async (t) => {
  const data = await dataset();
  const rowsOf = (l: DataLoader) => [...l].flatMap((b) => Array.from(b.rows));
  const a = new DataLoader(data, { batchSize: 3, shuffle: true, seed: 5 });
  const b = new DataLoader(data, { batchSize: 3, shuffle: true, seed: 5 });
  const a0 = rowsOf(a);
  const a1 = rowsOf(a);
  t.deepEqual(rowsOf(b), a0);
  t.deepEqual(rowsOf(b), a1);
  t.notDeepEqual(a0, a1);
  t.deepEqual([...a0].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  a.reshuffle(1);
  t.deepEqual(rowsOf(a), a1);
  t.deepEqual(Array.from(a.order(0)), a0);
  const other = new DataLoader(data, { batchSize: 3, shuffle: true, seed: 6 });
  t.notDeepEqual(rowsOf(other), a0);
  t.deepEqual(rowsOf(new DataLoader(data, { batchSize: 3 })), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('dropLast, row subsets and resampled rows', async (t) => {
  const data = await dataset();
  const dl = new DataLoader(data, { batchSize: 4, dropLast: true });
  t.is(dl.numBatches, 2);
  t.deepEqual([...dl].map((b) => b.size), [4, 4]);
  const sub = dl.withRows([7, 2, 2, 9], { dropLast: false });
  t.is(sub.numRows, 4);
  t.deepEqual([...sub].flatMap((b) => Array.from(b.rows)), [7, 2, 2, 9]);
  const one = dl.batch(Int32Array.of(5));
  t.is(one.size, 1);
  t.deepEqual(one.inputs.n.shape, [1, 2]);
  t.throws(() => new DataLoader(data, { rows: [0, 10] }), { message: 'DataLoader: rows[1] = 10 is not a row of the data set (0..9)' });
  t.throws(() => new DataLoader(data, { batchSize: 0 }), { message: /batchSize must be a positive integer/ });
});

test('the embedded bank data loads into batches quickly', async (t) => {
  const { loadBankMarketing, bankMarketingDefaults, stratifiedSplit } = await import('../src/data/index.js');
  const table = (await loadBankMarketing()).drop(bankMarketingDefaults.drop);
  const split = stratifiedSplit(table, 'y', { seed: 0 });
  const p = FeaturePipeline.fit(table.select(split.train), { tasks: bankMarketingDefaults.tasks });
  t.deepEqual(p.taskSpecs.map((s) => s.name), ['y', 'housing', 'loan']);
  t.is(p.featureSpecs.length, 13);
  const data = p.transform(table);
  const loader = new DataLoader(data, { batchSize: 256, shuffle: true, rows: split.train });
  const t0 = performance.now();
  let rows = 0;
  for (const b of loader) {
    rows += b.size;
    for (const x of [...Object.values(b.inputs), ...Object.values(b.labels)]) x.dispose();
  }
  const ms = performance.now() - t0;
  t.is(rows, split.train.length);
  t.log(`one epoch of ${rows} rows in ${loader.numBatches} batches: ${ms.toFixed(1)} ms`);
  const y = data.labels.y.values;
  let pos = 0;
  for (const v of y) pos += v;
  t.is(pos, 5289);
});
