// Learning-quality defaults: regression targets trained standardised and reported in the
// user's units, early stopping on a common-scale score, like-for-like comparisons, a model's
// result independent of what else was trained in the same call, and diagnostics that see a
// task dominating the shared layers.
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { metrics, mtl, manualSeed, fromBuffer } from '../src/index.js';
import { Linear } from '../src/nn/index.js';
import { runTrain } from '../src/cli/train.js';
import type { ModelRun } from '../src/cli/run-record.js';
import { loadConfig, type JobConfig } from '../src/cli/config.js';
import { earlyStoppingFor } from '../src/cli/train-options.js';
import { belowConstant, collapsedWeights, conflictSummary, dominations } from '../src/cli/summary.js';
import { tempDir, tempFile } from './helpers/tmp.js';
import { shopConfig, shopRows, toCsv } from './helpers/cli-fixtures.js';
import { gauss, lcg, scaleConflict } from './helpers/mtl-synthetic.js';

const quiet = (): void => {};

/** The shop fixture with `spend` in cents around 50,000: a raw target on a scale far from the binary task's. */
function shopCsv(n: number, seed: number): string {
  const rows = shopRows(n, seed).map((r) => ({ ...r, spend: String(Math.round(Number(r.spend) * 10_000 + 50_000)) }));
  return tempFile('shop.csv', toCsv(rows));
}

function jobFor(csv: string, overrides: Partial<JobConfig['training']> = {}, extra: Partial<JobConfig> = {}): JobConfig {
  const dir = tempDir();
  const base = shopConfig({ epochs: 6, baselines: true }) as unknown as JobConfig;
  const cfg = { ...base, ...extra, data: { path: csv, split: { kind: 'random', validation: 0.15, test: 0.15 } }, training: { ...base.training, ...overrides } };
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(cfg));
  return loadConfig(file);
}

async function train(config: JobConfig, options: { architectures?: string[]; baselinesOnly?: boolean } = {}): Promise<ModelRun[]> {
  const res = await runTrain({
    config,
    architectures: (options.architectures ?? ['shared-bottom']) as never,
    seeds: [1],
    outDir: tempDir(),
    baselinesOnly: options.baselinesOnly,
    progress: false,
    log: quiet,
  });
  return res.runs;
}

const constantRmse = (values: number[]): number => {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length);
};

test('a raw-scale regression target is standardised for training and its RMSE reported in its own units', async (t) => {
  const csv = shopCsv(1500, 3);
  const runs = await train(jobFor(csv));
  const single = runs.find((r) => r.kind === 'single-task' && r.tasks[0] === 'spend')!;
  const multi = runs.find((r) => r.kind === 'multi-task')!;
  // The target's spread is about 15,000 cents; predicting the mean scores that.
  const spends = shopRows(1500, 3).map((r) => Number(r.spend) * 10_000 + 50_000);
  const trivial = constantRmse(spends);
  for (const r of [single, multi]) {
    const rmse = r.test.metrics.spend.rmse;
    t.true(rmse < 0.5 * trivial, `${r.kind} RMSE ${rmse.toFixed(0)} beats the constant predictor's ${trivial.toFixed(0)} by half (units of the column)`);
  }
  // The binary task is not drowned: the multi-task AUC is within 0.05 of its single-task model.
  const clickedSingle = runs.find((r) => r.kind === 'single-task' && r.tasks[0] === 'clicked')!.test.metrics.clicked.auc;
  t.true(multi.test.metrics.clicked.auc > clickedSingle - 0.05, `multi-task clicked AUC ${multi.test.metrics.clicked.auc} vs single ${clickedSingle}`);
});

test('transform log1p: metrics on the log1p scale, predictions back in the target units', (t) => {
  const r = lcg(5);
  const n = 600;
  const x = new Float32Array(n * 2), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = gauss(r);
    x[2 * i + 1] = gauss(r);
    y[i] = Math.expm1(3 + x[2 * i] + 0.1 * gauss(r)); // log-normal spend
  }
  manualSeed(0);
  const target = { transform: 'log1p' as const, mean: 3, std: 1 };
  const model = new mtl.SharedBottom({ tasks: [{ name: 'spend', type: 'regression', target }], inputDim: 2, trunkHidden: [16] });
  const data = { inputs: { x: fromBuffer(x, [n, 2]) }, labels: { spend: fromBuffer(y, [n]) } };
  mtl.train(model, data, { epochs: 30, lr: 0.01, batchSize: 64, progress: false });
  const ev = mtl.evaluate(model, data);
  t.true(ev.metrics.spend.rmse < 0.3, `RMSE on the log1p scale ${ev.metrics.spend.rmse} < 0.3 (constant: 1.0)`);
  t.is(model.tasks[0].metricUnit, 'log1p(spend)');
  const preds = mtl.predict(model, data.inputs).spend;
  let within = 0;
  for (let i = 0; i < n; i++) if (Math.abs(Math.log1p(preds[i]) - Math.log1p(y[i])) < 0.5) within++;
  t.true(within > 0.9 * n, `${within}/${n} predictions within a factor e^0.5 of the target, in its own units`);
});

test('library: mtl.train fits a target scaler for a regression task declared without one', (t) => {
  const r = lcg(2);
  const n = 400;
  const x = new Float32Array(n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = gauss(r);
    y[i] = 1000 + 300 * x[i];
  }
  manualSeed(0);
  const model = new mtl.SharedBottom({ tasks: [{ name: 'v', type: 'regression' }], inputDim: 1, trunkHidden: [8] });
  mtl.train(model, { inputs: { x: fromBuffer(x, [n, 1]) }, labels: { v: fromBuffer(y, [n]) } }, { epochs: 20, lr: 0.02, progress: false });
  const s = model.tasks[0].target!;
  t.true(Math.abs(s.mean - 1000) < 30 && Math.abs(s.std - 300) < 30, `fitted mean ${s.mean}, std ${s.std}`);
  const ev = mtl.evaluate(model, { inputs: { x: fromBuffer(x, [n, 1]) }, labels: { v: fromBuffer(y, [n]) } });
  t.true(ev.metrics.v.rmse < 30, `RMSE ${ev.metrics.v.rmse} < 30 in the target units (constant: 300)`);
});

test("a model's metrics are bit-identical trained alone or after other models with the same seed", async (t) => {
  const csv = shopCsv(800, 4);
  const alone = (await train(jobFor(csv, {}, { baselines: false }))).find((r) => r.kind === 'multi-task')!;
  const after = (await train(jobFor(csv, {}, { baselines: true }))).find((r) => r.kind === 'multi-task')!;
  t.deepEqual(after.test, alone.test);
  t.is(after.history.epochs.length, alone.history.epochs.length);
});

test('training.monitor: score by default, loss, or one task metric; a bad one names the field', async (t) => {
  const csv = shopCsv(600, 5);
  const byScore = jobFor(csv);
  t.deepEqual(earlyStoppingFor(byScore, ['clicked', 'spend']), { monitor: 'mean', metric: 'score', patience: 3 });
  t.deepEqual(earlyStoppingFor(jobFor(csv, { monitor: 'loss' }), ['clicked']), { monitor: 'mean', metric: 'loss', patience: 3 });
  const byTask = jobFor(csv, { monitor: 'clicked.auc' });
  t.deepEqual(earlyStoppingFor(byTask, ['clicked', 'spend']), { monitor: 'clicked', metric: 'auc', patience: 3 });
  // A baseline of another task follows its own score.
  t.deepEqual(earlyStoppingFor(byTask, ['spend']), { monitor: 'mean', metric: 'score', patience: 3 });
  const runs = await train(jobFor(csv, { epochs: 3 }, { baselines: false }));
  t.is(runs[0].history.best?.metric, 'score');
  t.regex(runs[0].monitor, /mean validation score/);
  t.throws(() => jobFor(csv, { monitor: 'clicked.rmse' }), { message: /training\.monitor 'clicked\.rmse': binary task 'clicked' has no metric 'rmse'/ });
  t.throws(() => jobFor(csv, { monitor: 'nosuch.auc' }), { message: /training\.monitor 'nosuch\.auc'/ });
});

test('like for like: expertHidden apart from hidden, a baseline tower of its own, --baselines-only, parameter counts', async (t) => {
  const csv = shopCsv(500, 6);
  const small = await train(jobFor(csv, { epochs: 1 }, { baselines: false, model: { ...shopConfig().model, expertHidden: [4] } as never }), { architectures: ['mmoe'] });
  const big = await train(jobFor(csv, { epochs: 1 }, { baselines: false, model: { ...shopConfig().model, expertHidden: [32] } as never }), { architectures: ['mmoe'] });
  t.true(small[0].parameters < big[0].parameters, `expertHidden [4]: ${small[0].parameters} < [32]: ${big[0].parameters}`);
  const only = await train(jobFor(csv, { epochs: 1 }, { baselines: { towerHidden: [2] } as never }), { baselinesOnly: true });
  t.deepEqual(only.map((r) => r.kind), ['single-task', 'single-task', 'single-task']);
  const wide = await train(jobFor(csv, { epochs: 1 }, { baselines: { towerHidden: [32] } as never }), { baselinesOnly: true });
  t.true(only[0].parameters < wide[0].parameters, `baseline tower [2]: ${only[0].parameters} < [32]: ${wide[0].parameters}`);
});

test('diagnostics: a raw regression target dominates the shared layers and the summary says so', (t) => {
  const data = scaleConflict(600, 1);
  manualSeed(0);
  const tasks: mtl.TaskSpec[] = [{ name: 'a', type: 'binary' }, { name: 'big', type: 'regression', target: null }];
  const model = new mtl.SharedBottom({ tasks, inputDim: 4, trunk: new Linear(4, 4), trunkDim: 4 });
  const history = mtl.train(model, data.tensors(), { epochs: 2, batchSize: 64, lr: 0.01, progress: false });
  const sampled = history.epochs.flatMap((e) => e.gradientCosines).reduce((s, c) => s + c.samples, 0);
  // 20 steps in all: every one sampled (fewer than the 50 sampled at the start of a run).
  t.is(sampled, 2 * Math.ceil(600 / 64));
  const run = { kind: 'multi-task', architecture: 'shared-bottom', tasks: ['a', 'big'], seed: 1, seconds: 0, parameters: 0, monitor: '', test: { loss: {}, metrics: {}, rows: {} }, history } as ModelRun;
  const pairs = conflictSummary(run);
  const ratio = pairs[0].a === 'big' ? pairs[0].normRatio : 1 / pairs[0].normRatio;
  t.true(ratio > 5, `big's gradient is ${ratio.toFixed(1)}x a's`);
  const [warning] = dominations(pairs);
  t.regex(warning, /^big dominates the shared layers: [\d,.]+x a's gradient\. Try/);

  // Standardised, the same target no longer dominates.
  manualSeed(0);
  const balanced = new mtl.SharedBottom({ tasks: [tasks[0], { name: 'big', type: 'regression' }], inputDim: 4, trunk: new Linear(4, 4), trunkDim: 4 });
  const h2 = mtl.train(balanced, data.tensors(), { epochs: 2, batchSize: 64, lr: 0.01, progress: false });
  t.deepEqual(dominations(conflictSummary({ ...run, history: h2 })), []);
});

test('diagnostics: a task weight that collapses to near zero is flagged', (t) => {
  const history = { weighting: 'max', epochs: [{ weights: { a: 1, b: 0.0004 } }] } as unknown as mtl.History;
  const run = { history } as ModelRun;
  t.deepEqual(collapsedWeights(run).length, 1);
  t.regex(collapsedWeights(run)[0], /^b's weight fell to 0\.000 under max weighting/);
});

test('nothing silent 6: mtl.train refuses a task without its label, binary labels outside [0, 1], non-finite inputs', (t) => {
  const n = 20;
  const x = new Float32Array(n * 3).fill(0.5);
  const y = new Float32Array(n).fill(1);
  const model = new mtl.SharedBottom({ tasks: [{ name: 'click', type: 'binary' }], inputDim: 3, trunkHidden: [4] });
  const run = (inputs: Float32Array, labels: Record<string, Float32Array>) =>
    mtl.train(model, { inputs: { x: fromBuffer(inputs, [n, 3]) }, labels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, fromBuffer(v, [n])])) }, { epochs: 1, progress: false });
  t.throws(() => run(x, { clik: y }), { message: /no label 'click' for task 'click': it would train on nothing \(labels given: clik\)/ });
  const two = y.slice();
  two[7] = 2;
  t.throws(() => run(x, { click: two }), { message: /label 'click' of binary task 'click' is 2 at element 7/ });
  const nan = x.slice();
  nan[3 * 4 + 2] = NaN;
  t.throws(() => run(nan, { click: y }), { message: /input 'x' is NaN at row 4, column 2/ });
});

test('config: no tasks, bad weights, posWeight 0, empty hidden, dedupe "no", split sums and transform on a binary task name the field', (t) => {
  const bad = (cfg: object) => {
    const file = join(tempDir(), 'c.json');
    writeFileSync(file, JSON.stringify(cfg));
    return () => loadConfig(file);
  };
  const tasks = [{ name: 'y', type: 'binary' }];
  t.throws(bad({ data: { path: 'x.csv' } }), { message: /c\.json: has no 'tasks'/ });
  t.throws(bad({ tasks: [{ name: 'y', type: 'binary', posWeight: 0 }] }), { message: /tasks\[0\]\.posWeight \('y'\) must be a finite number > 0/ });
  t.throws(bad({ tasks: [{ name: 'y', type: 'binary', weight: -1 }] }), { message: /tasks\[0\]\.weight \('y'\) must be a finite number >= 0/ });
  t.throws(bad({ tasks, model: { hidden: [] } }), { message: /model\.hidden must be a non-empty array/ });
  t.throws(bad({ tasks, data: { dedupe: 'no' } }), { message: /data\.dedupe must be true or false/ });
  t.throws(bad({ tasks, data: { split: { validation: 0.5, test: 0.5 } } }), { message: /data\.split\.validation \+ data\.split\.test must leave rows to train on/ });
  t.throws(bad({ tasks: [{ name: 'y', type: 'binary', transform: 'log1p' }] }), { message: /tasks\[0\]\.transform \('y'\) applies to regression tasks/ });
  t.throws(bad({ tasks: [{ name: 'v', type: 'regression', transform: 'log' }] }), { message: /tasks\[0\]\.transform \('v'\) must be none or log1p/ });
  t.throws(bad({ tasks, baselines: { tower: [4] } }), { message: /unknown field 'baselines\.tower'/ });
});

test('nothing silent: several architectures and seeds save one model per architecture, its best seed, and say so', async (t) => {
  const csv = shopCsv(500, 7);
  const out = tempDir();
  const lines: string[] = [];
  const res = await runTrain({
    config: jobFor(csv, { epochs: 2 }, { baselines: false }),
    architectures: ['shared-bottom', 'mmoe'],
    seeds: [1, 2],
    outDir: out,
    progress: false,
    log: (l) => lines.push(l),
  });
  const metrics = JSON.parse(readFileSync(join(res.dir, 'metrics.json'), 'utf8'));
  t.deepEqual(metrics.savedModels.map((m: { dir: string; architecture: string }) => [m.dir, m.architecture]), [['model', 'shared-bottom'], ['models/mmoe', 'mmoe']]);
  for (const m of metrics.savedModels) {
    t.true(existsSync(join(res.dir, m.dir, 'weights.safetensors')), `${m.dir} saved`);
    const seeds = res.runs.filter((r) => r.architecture === m.architecture);
    const best = Math.max(...seeds.map((r) => r.history.best!.value));
    t.is(m.validation, best, `${m.dir} holds the seed with the best validation score`);
  }
  t.true(lines.some((l) => /^models\/mmoe\/: mmoe, seed [12] \(the best of 2 seeds on validation score: /.test(l)), lines.join('\n'));
});

test('nothing silent: a long feature list is folded in the log', async (t) => {
  const { foldList } = await import('../src/cli/train.js');
  const items = Array.from({ length: 60 }, (_, i) => `feature_${i}:num`);
  const folded = foldList(items, '    ');
  t.true(folded.split('\n').every((l) => l.length <= 100));
  t.regex(folded, /\.\.\. and 20 more \(all in metrics\.json\)$/);
});

test('nothing silent (report): charts have y-axis titles, mark the kept epoch, and keep coinciding lines apart', async (t) => {
  const { lineChart } = await import('../src/report/svg.js');
  const svg = lineChart(
    [{ name: 'a', values: [1, 1, 1] }, { name: 'b', values: [1, 1, 1] }],
    { title: 'Task weights', xLabel: 'epoch', yLabel: 'mean weight', markX: { x: 2, label: 'kept: epoch 2' } },
  );
  t.regex(svg, /rotate\(-90\)" text-anchor="middle">mean weight</);
  t.regex(svg, />kept: epoch 2</);
  const paths = [...svg.matchAll(/<path d="[^"]+" fill="none" stroke="[^"]+" stroke-width="([\d.]+)"[^>]*?(?:stroke-dasharray="([^"]+)")?\/>/g)];
  t.is(paths.length, 2);
  t.true(Number(paths[0][1]) > Number(paths[1][1]), 'the first of two coinciding lines is drawn wider, under the second');
  t.not(paths[0][2], paths[1][2], 'and with another dash pattern');
});

test('idDropout replaces categorical ids by the out-of-vocabulary id while training only', (t) => {
  manualSeed(3);
  const features = [{ name: 'user', kind: 'categorical' as const, cardinality: 50 }];
  const model = new mtl.SharedBottom({ features, embeddingDim: 4, idDropout: 0.3, tasks: [{ name: 'y', type: 'regression', target: null }], trunkHidden: [4] });
  const ids = fromBuffer(Int32Array.from({ length: 4000 }, (_, i) => 1 + (i % 49)), [4000]);
  const rowsMatching = (out: Float32Array, ref: number): number => out.filter((v) => v === ref).length;
  // Row 0 is zero, so a dropped id gives the output of an all-zero embedding.
  const zeroOut = mtl.predict(model, { user: fromBuffer(new Int32Array(1), [1]) }).y[0];
  model.eval();
  t.is(rowsMatching(model.forward({ user: ids }).y.data() as Float32Array, zeroOut), 0, 'no id dropped in eval mode');
  model.train();
  const dropped = rowsMatching(model.forward({ user: ids }).y.data() as Float32Array, zeroOut);
  t.true(dropped > 0.25 * 4000 && dropped < 0.35 * 4000, `${dropped} of 4000 ids dropped at p = 0.3`);
  t.throws(() => new mtl.SharedBottom({ features, idDropout: 1, tasks: [{ name: 'y', type: 'binary' }] }), { message: /idDropout must be in \[0, 1\)/ });
});

test('nothing silent: without baselines the summary claims no Δ column, and one epoch is "1 epoch"', async (t) => {
  const csv = shopCsv(300, 8);
  const lines: string[] = [];
  await runTrain({ config: jobFor(csv, { epochs: 1 }, { baselines: false }), architectures: ['shared-bottom'], seeds: [1], outDir: tempDir(), progress: false, log: (l) => lines.push(l) });
  const text = lines.join('\n');
  t.regex(text, /Test metrics per task:/);
  t.notRegex(text, /Δ is against the single-task model/);
  t.regex(text, /shared-bottom: 1 epoch,/);
});

test('every model is held against a constant predictor: metrics.json records its metrics, the summary flags a model no better', async (t) => {
  // The constant's metrics: the training rate's logloss is the labels' entropy; its AUC is 0.5.
  const c = metrics.constantMetrics('binary', ['logloss', 'auc'], [1, 0, 0, 0], [1, 0, 0, 0, 1, 0, 0, 0]);
  t.true(Math.abs(c.logloss - -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75))) < 1e-6);
  t.is(c.auc, 0.5);
  const r = metrics.constantMetrics('regression', ['rmse'], [1, 3], [0, 4]);
  t.true(Math.abs(r.rmse - 2) < 1e-9);
  t.deepEqual(Array.from(metrics.constantPrediction('multiclass', [0, 2, 2, -1], 3)), [1 / 3, 0, 2 / 3]);

  const runs = await train(jobFor(shopCsv(1200, 5)));
  for (const run of runs) {
    t.truthy(run.constant, `${run.architecture}: the constant predictor's metrics are recorded`);
    // The trained models clear the floor on this data, so nothing is flagged.
    if (run.tasks.includes('clicked')) {
      t.is(run.constant!.clicked.auc, 0.5);
      t.true(run.test.metrics.clicked.logloss < run.constant!.clicked.logloss - 0.02, `clicked logloss ${run.test.metrics.clicked.logloss} vs ${run.constant!.clicked.logloss}`);
    }
    if (run.tasks.includes('spend'))
      t.true(run.test.metrics.spend.rmse < run.constant!.spend.rmse * 0.95, `spend rmse ${run.test.metrics.spend.rmse} vs ${run.constant!.spend.rmse}`);
  }
  t.deepEqual(belowConstant(runs), []);

  // A model whose logloss is above the constant's is named, with what to try.
  const mtRun = runs.find((r) => r.kind === 'multi-task')!;
  const worse = { ...mtRun, test: { ...mtRun.test, metrics: { ...mtRun.test.metrics, clicked: { ...mtRun.test.metrics.clicked, logloss: 0.9 } } }, constant: { ...mtRun.constant!, clicked: { ...mtRun.constant!.clicked, logloss: 0.6 } } };
  const flagged = belowConstant([worse]);
  t.is(flagged.length, 1);
  t.regex(flagged[0], /^shared-bottom: clicked's test logloss 0\.9000 is no better than a constant predictor's 0\.6000: .*training\.monitor to "loss"/);
});
