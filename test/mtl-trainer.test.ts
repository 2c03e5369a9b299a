// ESMM, label masks, adding a task, early stopping, schedules, sampling, per-task data,
// loaders, callbacks, progress lines, the input encoder.
import test from 'ava';
import { mtl, metrics, manualSeed, gradcheck, randn, fromBuffer, tensor, tidy, noGrad } from '../src/index.js';
import { sharedSignal, impressions, lcg, gauss } from './helpers/mtl-synthetic.js';

const quiet = { progress: false as const };

test('ESMM learns pCVR over all impressions from CTR and CTCVR labels', (t) => {
  const train = impressions(3000, 1), val = impressions(1500, 2);
  manualSeed(0);
  const model = new mtl.ESMM({ tasks: [{ name: 'ctr', type: 'binary' }, { name: 'ctcvr', type: 'binary' }], inputDim: 4, trunkHidden: [16] });
  const h = mtl.train(model, train.tensors(), { epochs: 4, batchSize: 128, lr: 0.02, validation: val.tensors(), ...quiet });
  const m = h.epochs.at(-1)!.validation!.metrics;
  t.true(m.ctr.auc > 0.75, `ctr auc ${m.ctr.auc}`);
  t.true(m.ctcvr.auc > 0.75, `ctcvr auc ${m.ctcvr.auc}`);
  const p = mtl.predict(model, val.tensors().inputs);
  // pCVR ranks the true conversion probability well on every impression (never trained on clicks only).
  const truth = Float64Array.from(val.convProb, (q) => (q > 0.5 ? 1 : 0));
  t.true(metrics.rocAuc(truth, p.cvr) > 0.9, `cvr vs true propensity auc ${metrics.rocAuc(truth, p.cvr)}`);
  t.is(p.cvr.length, 1500);
  for (let i = 0; i < 20; i++) t.true(Math.abs(p.ctcvr[i] - p.ctr[i] * p.cvr[i]) < 1e-5, 'pCTCVR = pCTR x pCVR');
  t.deepEqual(model.forward(val.tensors().inputs).cvr.shape, [1500]);
  t.throws(() => new mtl.ESMM({ tasks: [{ name: 'ctr', type: 'binary' }, { name: 'x', type: 'binary' }], inputDim: 4 }), { message: /no task named 'ctcvr'/ });
});

test('gradcheck: ESMM product', (t) => {
  manualSeed(3);
  const a = randn([6]).requiresGrad_(), b = randn([6]).requiresGrad_();
  const r = gradcheck((x, y) => mtl.esmmProduct(x, y), [a, b], { eps: 1e-2, tolerance: 1e-2 });
  t.true(r.ok, `max error ${r.maxError}`);
});

test('a masked task ignores unlabelled rows in its loss, gradient and metrics', (t) => {
  const task = new mtl.Task({ name: 'p', type: 'binary' });
  const logits = tensor([0.5, -1, 2, 0.3, -0.7]).requiresGrad_();
  const labels = tensor([1, NaN, 0, NaN, 1]);
  const prepared = task.prepare(labels);
  t.is(prepared.count, 3);
  const loss = task.computeLoss(logits, prepared);
  const sub = (i: number[]) => {
    const l = new mtl.Task({ name: 'q', type: 'binary' });
    return l.computeLoss(tensor(i.map((k) => [0.5, -1, 2, 0.3, -0.7][k])), l.prepare(tensor(i.map((k) => [1, NaN, 0, NaN, 1][k])))).item();
  };
  t.true(Math.abs(loss.item() - sub([0, 2, 4])) < 1e-6, 'equals the loss over the labelled rows only');
  loss.backward();
  const g = logits.grad!.data();
  t.is(g[1], 0);
  t.is(g[3], 0);
  t.true(g[0] !== 0 && g[2] !== 0);
  // multiclass: -1 is missing
  const mc = new mtl.Task({ name: 'm', type: 'multiclass', numClasses: 3 });
  const l2 = mc.computeLoss(tensor([[1, 2, 3], [9, 9, 9], [0, 0, 5]]), mc.prepare(tensor(Int32Array.from([2, -1, 0]))));
  const lsm = (row: number[], k: number) => row[k] - Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
  t.true(Math.abs(l2.item() + (lsm([1, 2, 3], 2) + lsm([0, 0, 5], 0)) / 2) < 1e-5);
  // all rows missing: 0, not NaN, still connected
  const none = task.computeLoss(logits, task.prepare(tensor([NaN, NaN, NaN, NaN, NaN])));
  t.is(none.item(), 0);
  t.throws(() => mc.prepare(tensor(Int32Array.from([3]))), { message: /class id 3 at row 0 is outside 0..2/ });
});

test('training with a mostly-missing label learns from the labelled rows only', (t) => {
  // p exists for 30% of rows. The missing rows' hidden value is the opposite rule: if NaN rows
  // leaked in (say as 0 or as the hidden value) the learned direction would be wrong.
  const n = 1500, r = lcg(5), d = 6;
  const base = sharedSignal(n, 3, d);
  const p = new Float32Array(n);
  for (let i = 0; i < n; i++) p[i] = r() < 0.3 ? (base.x[i * d + 5] > 0 ? 1 : 0) : NaN;
  const data = base.tensors();
  data.labels.p = fromBuffer(p, [n]);
  const vb = sharedSignal(600, 4, d), vp = new Float32Array(600);
  for (let i = 0; i < 600; i++) vp[i] = i % 2 ? (vb.x[i * d + 5] > 0 ? 1 : 0) : NaN;
  const val = vb.tensors();
  val.labels.p = fromBuffer(vp, [600]);
  manualSeed(0);
  const model = new mtl.SharedBottom({ tasks: [{ name: 'a', type: 'binary' }, { name: 'p', type: 'binary' }], inputDim: d });
  const h = mtl.train(model, data, { epochs: 4, batchSize: 64, lr: 0.02, validation: val, ...quiet });
  const v = h.epochs.at(-1)!.validation!;
  t.is(v.rows.p, 300, 'metrics count only the labelled validation rows');
  t.is(v.rows.a, 600);
  t.true(v.metrics.p.auc > 0.9, `p auc ${v.metrics.p.auc}`);
  t.true(v.metrics.a.auc > 0.9);
});

test('adding a task to a trained model: trunk frozen keeps old metrics exactly; a small lr keeps them close', (t) => {
  const train = sharedSignal(1200, 1), val = sharedSignal(600, 2);
  const tasks: mtl.TaskSpec[] = [{ name: 'a', type: 'binary' }, { name: 'r', type: 'regression' }];
  const drop = (d: ReturnType<typeof train.tensors>) => ({ inputs: d.inputs, labels: { a: d.labels.a, r: d.labels.r, c: d.labels.c } });
  for (const [Arch, scale] of [[mtl.SharedBottom, 0], [mtl.MMoE, 0], [mtl.SharedBottom, 0.05]] as const) {
    manualSeed(0);
    const model = new Arch({ tasks, inputDim: train.d }) as mtl.MultiTaskModel;
    mtl.train(model, drop(train.tensors()), { epochs: 3, batchSize: 64, lr: 0.01, ...quiet });
    const before = mtl.evaluate(model, val.tensors());
    model.addTask({ name: 'c', type: 'multiclass', numClasses: 3 });
    const h = mtl.train(model, train.tensors(), { epochs: 3, batchSize: 64, lr: 0.01, tasks: ['c'], sharedLrScale: scale, validation: val.tensors(), ...quiet });
    t.deepEqual(h.tasks, ['c']);
    const after = mtl.evaluate(model, val.tensors());
    t.true(after.metrics.c.accuracy > 0.8, `${model.architecture}: new task accuracy ${after.metrics.c.accuracy} (trivial ~0.4)`);
    if (scale === 0) {
      t.deepEqual(after.metrics.a, before.metrics.a, 'old task metrics hold exactly with the trunk frozen');
      t.deepEqual(after.metrics.r, before.metrics.r);
    } else {
      t.true(Math.abs(after.metrics.a.auc - before.metrics.a.auc) < 0.01, `a auc ${before.metrics.a.auc} -> ${after.metrics.a.auc}`);
      t.true(after.metrics.r.rmse < before.metrics.r.rmse * 1.25, `r rmse ${before.metrics.r.rmse} -> ${after.metrics.r.rmse}`);
    }
    t.true(model.parameters().every((p) => p.requiresGrad), 'frozen shared parameters are trainable again afterwards');
  }
  const ple = new mtl.PLE({ tasks, inputDim: 6 });
  t.throws(() => ple.addTask({ name: 'z', type: 'binary' }), { message: /adding a task is not supported by the ple architecture/ });
});

test('early stopping on one task restores the best checkpoint', (t) => {
  const train = sharedSignal(120, 7), val = sharedSignal(600, 8);
  manualSeed(0);
  const model = new mtl.SharedBottom({ tasks: [{ name: 'a', type: 'binary' }, { name: 'b', type: 'binary' }], inputDim: 6, trunkHidden: [64, 64] });
  const h = mtl.train(model, train.tensors(), {
    epochs: 40, batchSize: 16, lr: 0.02, validation: val.tensors(), earlyStopping: { monitor: 'a', metric: 'loss', patience: 2 }, ...quiet,
  });
  t.true(h.stoppedEarly, 'overfitting a tiny training set stops early');
  t.true(h.epochs.length < 40);
  const best = h.epochs[h.best!.epoch].validation!.loss.a;
  t.is(h.best!.value, best);
  t.true(h.epochs.at(-1)!.validation!.loss.a > best);
  const now = mtl.evaluate(model, val.tensors()).loss.a;
  t.true(Math.abs(now - best) < 1e-5, `restored model loss ${now} = best ${best}`);
  // mean over tasks of a metric (max mode)
  manualSeed(0);
  const m2 = new mtl.SharedBottom({ tasks: [{ name: 'a', type: 'binary' }, { name: 'b', type: 'binary' }], inputDim: 6 });
  const h2 = mtl.train(m2, train.tensors(), { epochs: 3, batchSize: 16, validation: val.tensors(), earlyStopping: { metric: 'auc' }, ...quiet });
  t.is(h2.best!.monitor, 'mean');
  t.is(h2.best!.value, Math.max(...h2.epochs.map((e) => (e.validation!.metrics.a.auc + e.validation!.metrics.b.auc) / 2)));
});

test('alternating schedules, sampling ratios, per-task data sets, resampling', (t) => {
  const data = sharedSignal(640, 1);
  const tasks: mtl.TaskSpec[] = [{ name: 'a', type: 'binary' }, { name: 'r', type: 'regression' }];
  manualSeed(0);
  let model = new mtl.SharedBottom({ tasks, inputDim: 6 });
  const hb = mtl.train(model, data.tensors(), { epochs: 1, batchSize: 32, schedule: 'alternate-batch', samplingRatios: { a: 3, r: 1 }, ...quiet });
  const turns = hb.steps.map((s) => s.tasks.join());
  t.is(turns.filter((x) => x === 'a').length, 15);
  t.is(turns.filter((x) => x === 'r').length, 5);
  t.deepEqual(turns.slice(0, 4).sort(), ['a', 'a', 'a', 'r']);

  const he = mtl.train(model, data.tensors(), { epochs: 3, batchSize: 64, schedule: 'alternate-epoch', ...quiet });
  t.deepEqual(he.epochs.map((e) => Object.keys(e.loss)), [['a'], ['r'], ['a']]);

  // Separate data sets: a's rows and r's rows do not overlap.
  const full = data.tensors();
  const half = (lo: number, hi: number, name: string) => ({ inputs: { x: full.inputs.x.narrow(0, lo, hi - lo) }, labels: { [name]: full.labels[name].narrow(0, lo, hi - lo) } });
  manualSeed(0);
  model = new mtl.SharedBottom({ tasks, inputDim: 6 });
  const val = sharedSignal(400, 2).tensors();
  const hp = mtl.train(model, { perTask: { a: half(0, 320, 'a'), r: half(320, 640, 'r') } }, { epochs: 4, batchSize: 32, lr: 0.02, validation: val, ...quiet });
  t.is(hp.steps.filter((s) => s.epoch === 0).length, 20, 'an epoch = every task data set once');
  const m = hp.epochs.at(-1)!.validation!.metrics;
  t.true(m.a.auc > 0.9 && m.r.rmse < 0.6, `per-task data: a auc ${m.a.auc}, r rmse ${m.r.rmse}`);

  // Resampling: rare positives drawn 5 times each.
  const n = 400, y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = i % 10 === 0 ? 1 : 0;
  const rare = { inputs: { x: full.inputs.x.narrow(0, 0, n) }, labels: { a: fromBuffer(y, [n]) } };
  let positives = 0;
  mtl.train(new mtl.SharedBottom({ tasks: [tasks[0]], inputDim: 6 }), rare, { epochs: 1, batchSize: 50, resample: { a: { positive: 5 } }, ...quiet,
    callbacks: { onEpochEnd: (e) => t.is(e.samples, n + 4 * 40) } });
  const batches = new mtl.TensorBatches(rare, 50, new mtl.Rng(1), { resample: { a: { positive: 5 } } });
  for (const b of batches) positives += Array.from(b.labels.a.data()).filter((v) => v === 1).length;
  t.is(positives, 200);

  // Fractional resampling draws a new number of rows each epoch: every epoch runs all of its batches.
  for (const seed of [1, 2, 3, 4]) {
    const samples: number[] = [];
    mtl.train(new mtl.SharedBottom({ tasks: [tasks[0]], inputDim: 6 }), rare, { epochs: 4, batchSize: 50, seed, resample: { a: { positive: 2.5 } }, ...quiet,
      callbacks: { onEpochEnd: (e) => samples.push(e.samples) } });
    t.is(samples.length, 4);
    for (const s of samples) t.true(s > n + 40 && s < n + 2 * 40, `seed ${seed}: ${s} rows in an epoch (about ${n} + 1.5 x 40)`);
  }
});

test('data loaders, callbacks, progress lines, step logging, errors', (t) => {
  const data = sharedSignal(256, 1).tensors();
  const batches = [0, 1, 2, 3].map((k) => ({ size: 64, inputs: { x: data.inputs.x.narrow(0, k * 64, 64) }, labels: { a: data.labels.a.narrow(0, k * 64, 64) } }));
  let reshuffled = 0;
  const loader: mtl.DataLoader = { numBatches: 4, [Symbol.iterator]: () => batches[Symbol.iterator](), reshuffle: () => void reshuffled++ };
  const events: string[] = [];
  manualSeed(0);
  const model = new mtl.SharedBottom({ tasks: [{ name: 'a', type: 'binary' }], inputDim: 6 });
  const h = mtl.train(model, loader, {
    epochs: 2, logStepsEvery: 2, ...quiet,
    callbacks: {
      onEpochBegin: (e) => events.push(`begin${e}`),
      onBatchEnd: (s) => events.push(`batch${s.step}`),
      onEpochEnd: (r) => events.push(`end${r.epoch}`),
      onTrainEnd: () => events.push('done'),
    },
  });
  t.deepEqual(events, ['begin0', 'batch0', 'batch1', 'batch2', 'batch3', 'end0', 'begin1', 'batch4', 'batch5', 'batch6', 'batch7', 'end1', 'done']);
  t.deepEqual(h.steps.map((s) => s.step), [0, 2, 4, 6]);
  t.is(h.epochs[0].samples, 256);

  const lines: string[] = [];
  const out = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
  // Off a terminal: the library's default 'auto' is silent, true (the CLI) and 'lines' print a line per epoch.
  for (const option of [true, 'lines'] as const) {
    lines.length = 0;
    const progress = new mtl.Progress(option, ['a'], out);
    progress.startEpoch(0, 1, 4);
    progress.update(1, 64, 0.1, { a: 0.5 });
    progress.endEpoch(h.epochs[0]);
    t.is(lines.length, 1);
    t.regex(lines[0], /^epoch 1 .* samples\/s \| loss a=/);
  }
  lines.length = 0;
  const silent = new mtl.Progress('auto', ['a'], out);
  silent.startEpoch(0, 1, 4);
  silent.endEpoch(h.epochs[0]);
  t.is(lines.length, 0, "nothing silent: mtl.train is quiet off a terminal unless asked (progress true | 'lines', or verbose)");

  t.throws(() => mtl.train(model, data, { tasks: ['zz'], ...quiet }), { message: /unknown task 'zz'/ });
  t.throws(() => mtl.train(model, { inputs: { x: data.inputs.x }, labels: { a: data.labels.a.narrow(0, 0, 10) } }, quiet), { message: /'a' has 10 rows, expected 256/ });
  t.throws(() => mtl.train(model, data, { schedule: 'nope' as mtl.Schedule, ...quiet }), { message: /schedule 'nope'/ });
  t.throws(() => new mtl.Task({ name: 'x', type: 'binary', metrics: ['rmse'] }), { message: /metric 'rmse' is not defined for binary tasks/ });
  t.throws(() => new mtl.Task({ name: 'x', type: 'multiclass' }), { message: /needs numClasses >= 2/ });
  t.throws(() => model.forward({ y: data.inputs.x }), { message: /the batch has no input 'x'/ });
});

test('InputEncoder: categorical embeddings plus numeric features feed any trunk', (t) => {
  const n = 1200, r = lcg(9);
  const cat = new Int32Array(n), num = new Float32Array(n * 2), y = new Float32Array(n);
  const effect = [2, -2, 1, -1, 0.5, -0.5, 2, -2, 0, 0];
  for (let i = 0; i < n; i++) {
    cat[i] = Math.floor(r() * 10);
    num[2 * i] = gauss(r);
    num[2 * i + 1] = gauss(r);
    y[i] = effect[cat[i]] + num[2 * i] + 0.3 * gauss(r) > 0 ? 1 : 0;
  }
  const all = { inputs: { shop: fromBuffer(cat, [n]), price: fromBuffer(num, [n, 2]) }, labels: { buy: fromBuffer(y, [n]) } };
  const cut = (lo: number, hi: number) => ({
    inputs: { shop: all.inputs.shop.narrow(0, lo, hi - lo), price: all.inputs.price.narrow(0, lo, hi - lo) },
    labels: { buy: all.labels.buy.narrow(0, lo, hi - lo) },
  });
  const features: mtl.FeatureSpec[] = [{ name: 'shop', kind: 'categorical', cardinality: 10 }, { name: 'price', kind: 'numeric', width: 2 }];
  const enc = new mtl.InputEncoder(features, { embeddingDim: 4 });
  t.is(enc.outputDim, 6);
  manualSeed(0);
  const model = new mtl.MMoE({ tasks: [{ name: 'buy', type: 'binary' }], features, embeddingDim: 4, numExperts: 2 });
  const h = mtl.train(model, cut(0, 900), { epochs: 4, batchSize: 64, lr: 0.02, validation: cut(900, n), ...quiet });
  t.true(h.epochs.at(-1)!.validation!.metrics.buy.auc > 0.85, `auc ${h.epochs.at(-1)!.validation!.metrics.buy.auc}`);
  t.true(model.sharedParameters().some((p) => p.shape.join() === '10,4'), 'the embedding table is shared');
  t.throws(() => enc.forward({ shop: all.inputs.shop }), { message: /no input 'price'/ });
  t.throws(() => enc.forward({ shop: all.inputs.price, price: all.inputs.price }), { message: /categorical feature 'shop' must be int32 \[B\]/ });
  noGrad(() => tidy(() => t.is(enc.forward(cut(0, 5).inputs).shape.join(), '5,6')));
});

test('multilabel tasks with missing cells, huber / mae / custom loss functions', (t) => {
  const n = 1000, d = 6, base = sharedSignal(n, 11, d), r = lcg(12);
  const ml = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) ml[i * 3 + k] = r() < 0.2 ? NaN : base.x[i * d + k] > 0 ? 1 : 0;
  const data = base.tensors();
  data.labels.tags = fromBuffer(ml, [n, 3]);
  let customCalls = 0;
  const tasks: mtl.TaskSpec[] = [
    { name: 'tags', type: 'multilabel', numClasses: 3, metrics: ['auc', 'f1Micro', 'f1Macro'] },
    { name: 'r', type: 'regression', loss: 'huber' },
    { name: 'r2', type: 'regression', label: 'r', loss: 'mae' },
    { name: 'r3', type: 'regression', label: (b) => b.labels.r, loss: (out, lab) => (customCalls++, out.sub(lab.target).square().mul(lab.mask).sum().div(lab.count)) },
  ];
  manualSeed(0);
  const model = new mtl.SharedBottom({ tasks, inputDim: d });
  const h = mtl.train(model, { inputs: { x: data.inputs.x.narrow(0, 0, 800) }, labels: { tags: data.labels.tags.narrow(0, 0, 800), r: data.labels.r.narrow(0, 0, 800) } }, {
    epochs: 3, batchSize: 64, lr: 0.02, ...quiet,
    validation: { inputs: { x: data.inputs.x.narrow(0, 800, 200) }, labels: { tags: data.labels.tags.narrow(0, 800, 200), r: data.labels.r.narrow(0, 800, 200) } },
  });
  const m = h.epochs.at(-1)!.validation!.metrics;
  t.true(m.tags.auc > 0.95 && m.tags.f1Micro > 0.85, `multilabel auc ${m.tags.auc} f1 ${m.tags.f1Micro}`);
  for (const k of ['r', 'r2', 'r3']) t.true(m[k].rmse < 0.6, `${k} rmse ${m[k].rmse} (trivial 1.41)`);
  t.true(customCalls >= 3 * 13);
  t.is(h.epochs.at(-1)!.validation!.rows.tags, Array.from(ml.subarray(800 * 3)).filter((v) => !Number.isNaN(v)).length);
});

test('end to end with the data pipeline: CSV -> features -> DataLoader -> MMoE', async (t) => {
  const { readCsvString, FeaturePipeline, DataLoader } = await import('../src/data/index.js');
  const r = lcg(21);
  const lines = ['shop,price,click,purchase'];
  const lift: Record<string, number> = { a: 1.5, b: -1.5, c: 0.5, d: -0.5 };
  for (let i = 0; i < 900; i++) {
    const shop = 'abcd'[Math.floor(r() * 4)], price = gauss(r);
    const click = lift[shop] + 0.5 * gauss(r) > 0;
    const buy = click ? (-price + 0.3 * gauss(r) > 0 ? 'yes' : 'no') : ''; // purchase exists only after a click
    lines.push(`${shop},${price.toFixed(3)},${click ? 'yes' : 'no'},${buy}`);
  }
  const table = await readCsvString(lines.join('\n'));
  const pipeline = FeaturePipeline.fit(table, { tasks: [{ name: 'click', type: 'binary' }, { name: 'purchase', type: 'binary' }] });
  const data = pipeline.transform(table);
  const loader = new DataLoader(data, { batchSize: 64, shuffle: true, seed: 1 });
  manualSeed(0);
  const model = new mtl.MMoE({ tasks: mtl.tasksFromData(data.taskSpecs), features: data.featureSpecs, numExperts: 2 });
  const h = mtl.train(model, loader, { epochs: 4, lr: 0.03, validation: new DataLoader(data, { batchSize: 256 }), ...quiet });
  const v = h.epochs.at(-1)!.validation!;
  t.true(v.metrics.click.auc > 0.85, `click auc ${v.metrics.click.auc}`);
  t.true(v.metrics.purchase.auc > 0.85, `purchase auc ${v.metrics.purchase.auc}`);
  t.true(v.rows.purchase < v.rows.click, 'purchase is labelled only on clicked rows');
});
