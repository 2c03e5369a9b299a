// Labels and their masks: the data layer emits, with each batch, a 0/1 mask per label and
// the labelled count, so a task's loss uses them on the batch's device instead of reading
// the labels back to build them. Both ways give the same loss and the same gradient.
import test from 'ava';
import * as tl from '../src/index.js';
import { mtl } from '../src/index.js';
import { DataLoader, FeaturePipeline, readCsvString } from '../src/data/index.js';
import { assertClose } from './helpers/reference.js';

/** 12 rows; every task leaves some rows unlabelled (and m has a class only the test rows use). */
async function batchWithGaps() {
  const lines = ['x,y,m,r,s'];
  for (let i = 0; i < 12; i++)
    lines.push([i, i % 4 === 1 ? '' : i % 3 ? 'yes' : 'no', i % 5 === 2 ? '' : `k${i % 3}`, i % 6 === 4 ? '' : 2 + i * 0.7, i % 4 === 0 ? '' : i * 3].join(','));
  const table = await readCsvString(lines.join('\n'));
  const pipeline = FeaturePipeline.fit(table, {
    features: [{ name: 'x', kind: 'numeric' }],
    tasks: [
      { name: 'y', type: 'binary' },
      { name: 'm', type: 'multiclass' },
      { name: 'r', type: 'regression' },
      { name: 's', type: 'regression', transform: 'log1p' },
    ],
  });
  const data = pipeline.transform(table);
  return { data, batch: [...new DataLoader(data, { batchSize: 12 })][0] };
}

test('a batch carries a mask and a labelled count per label, from the rows it gathered', async (t) => {
  const { batch } = await batchWithGaps();
  const expected = { y: (i: number) => i % 4 !== 1, m: (i: number) => i % 5 !== 2, r: (i: number) => i % 6 !== 4, s: (i: number) => i % 4 !== 0 };
  for (const [name, has] of Object.entries(expected)) {
    const want = Array.from({ length: 12 }, (_, i) => (has(i) ? 1 : 0));
    t.deepEqual(Array.from(batch.masks![name].data()), want, name);
    t.is(batch.labelCounts![name], want.reduce((a, b) => a + b, 0), name);
    t.is(batch.masks![name].dtype, 'float32');
    t.deepEqual(batch.masks![name].shape, batch.labels[name].shape);
  }
});

test("each task's loss and gradient are the same from the batch's mask as from labels read back", async (t) => {
  const { data, batch } = await batchWithGaps();
  tl.manualSeed(3);
  const tasks = mtl.tasksFromData(data.taskSpecs);
  for (const spec of tasks) {
    const task = new mtl.Task({ ...spec, target: spec.type === 'regression' ? { transform: spec.name === 's' ? 'log1p' : 'none', mean: 1.5, std: 2 } : undefined });
    const width = task.outputWidth;
    const lossAndGrad = (withBatch: boolean) =>
      tl.tidy(() => {
        const output = tl.tensor(Float32Array.from({ length: 12 * width }, (_, i) => Math.sin(i)), width === 1 ? [12] : [12, width], { requiresGrad: true });
        const label = task.labelOf(batch)!;
        const loss = task.computeLoss(output, task.prepare(label, withBatch ? batch : undefined));
        loss.backward();
        return { loss: loss.item(), grad: Array.from(output.grad!.data()) };
      });
    const device = lossAndGrad(true), host = lossAndGrad(false);
    t.true(Number.isFinite(device.loss), `${task.name}: ${device.loss}`);
    assertClose(t, [device.loss], [host.loss], { rtol: 1e-6, atol: 1e-7, what: `${task.name} loss` });
    assertClose(t, device.grad, host.grad, { rtol: 1e-5, atol: 1e-7, what: `${task.name} gradient` });
  }
});

test('mse and bce: a masked-out element adds nothing even when its target is NaN', (t) => {
  const pred = tl.tensor([0.5, 1, -2], [3], { requiresGrad: true });
  const target = tl.tensor([1, NaN, 0], [3]);
  const mask = tl.tensor([1, 0, 1], [3]);
  const mse = tl.mse(pred, target, { mask });
  mse.backward();
  assertClose(t, [mse.item()], [(0.25 + 4) / 2], { rtol: 1e-6, atol: 0, what: 'mse' });
  assertClose(t, Array.from(pred.grad!.data()), [-0.5, 0, -2], { rtol: 1e-6, atol: 0, what: 'mse gradient' });
  const bce = tl.bceWithLogits(tl.tensor([0.3, 2, -1], [3]), target, { mask });
  t.true(Number.isFinite(bce.item()), `bce ${bce.item()}`);
});

test('a log1p target outside its domain is refused when the labels are encoded, naming the line and column', async (t) => {
  const train = await readCsvString('x,s\n1,3\n2,5\n3,9\n', { name: 'train.csv' });
  const pipeline = FeaturePipeline.fit(train, { features: [{ name: 'x', kind: 'numeric' }], tasks: [{ name: 's', type: 'regression', transform: 'log1p' }] });
  const later = await readCsvString('x,s\n1,4\n2,-1\n', { name: 'later.csv' });
  t.regex(t.throws(() => pipeline.transform(later))!.message, /later\.csv.*line 3.*column 's': label -1 is outside the domain of transform 'log1p'/);
});
