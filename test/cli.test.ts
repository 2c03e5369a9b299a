// The command line end to end, as a user runs it: `node dist/cli/main.js train | eval |
// predict | train --resume` on small CSV files, then bad input of every kind. Each bad
// input must fail with exit code 1, a one-line message naming the file (and line or
// column), no stack trace, and nothing half-written (no new run directory, no output file).
import test from 'ava';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tl from '../src/index.js';
import { tempDir } from './helpers/tmp.js';
import { assertCleanFailure, cli, CLI, type Result } from './helpers/cli-run.js';
import { shopConfig, shopRows, toCsv, FEATURE_COLUMNS, TASK_COLUMNS } from './helpers/cli-fixtures.js';

/** Parses a CSV written by `predict` (no quoted commas in its cells). */
function readPreds(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

/** Rank AUC of scores against 0/1 labels. */
function auc(labels: readonly number[], scores: readonly number[]): number {
  let pairs = 0;
  let wins = 0;
  for (let i = 0; i < labels.length; i++)
    for (let j = 0; j < labels.length; j++)
      if (labels[i] === 1 && labels[j] === 0) {
        pairs++;
        wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
  return wins / pairs;
}


const runDirs = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);

// One trained run shared by the tests that need a saved model.
const work = tempDir();
const trainCsv = join(work, 'train.csv');
const newCsv = join(work, 'new.csv');
const moreCsv = join(work, 'more.csv');
const configPath = join(work, 'shop.json');
const runsDir = join(work, 'runs');
writeFileSync(trainCsv, toCsv(shopRows(1500, 1)));
writeFileSync(newCsv, toCsv(shopRows(400, 2)));
writeFileSync(moreCsv, toCsv(shopRows(400, 3)));
writeFileSync(configPath, JSON.stringify(shopConfig()));

let trained: Promise<{ result: Result; run: string }> | null = null;
function trainOnce() {
  trained ??= cli(['train', '--data', trainCsv, '--config', configPath, '--out', runsDir, '--no-progress'], work).then((result) => {
    const dirs = runDirs(runsDir);
    return { result, run: join(runsDir, dirs[0] ?? 'none') };
  });
  return trained;
}

test.serial('train writes a run: table, metrics.json, report.html with SVG, the saved model', async (t) => {
  t.true(existsSync(CLI), `build first (npx tsc -p .): ${CLI} is missing`);
  const { result, run } = await trainOnce();
  t.is(result.code, 0, result.stderr);
  t.deepEqual(runDirs(runsDir).length, 1, 'exactly one run directory, no .partial left');
  t.regex(result.stdout, /features \(4\): age:num region:cat\(\d+\) tags:multihot title:text/);
  t.regex(result.stdout, /tasks: clicked \(binary\), segment \(multiclass\), spend \(regression\)/);
  for (const f of ['metrics.json', 'report.html', 'model/weights.safetensors', 'model/config.json']) t.true(existsSync(join(run, f)), f);
  const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
  t.is(metrics.format, 'trunkline.run');
  t.is(metrics.runs.length, 1);
  // What the numbers depend on besides the config: the instruction set, the gemm kernel and how it was chosen, the threads.
  t.true(tl.gemmKernels().includes(metrics.engine.gemm.kernel), metrics.engine.gemm.kernel);
  t.true(['probe', 'cache', 'default', 'forced'].includes(metrics.engine.gemm.how), metrics.engine.gemm.how);
  t.is(metrics.engine.isa.active, tl.getIsa().active);
  t.true(metrics.engine.threads >= 1);
  const test1 = metrics.runs[0].test.metrics;
  // clicked depends strongly on age, region and the title: AUC 0.5 is chance, the Bayes AUC is about 0.9.
  t.true(test1.clicked.auc >= 0.75, `clicked test AUC ${test1.clicked.auc} >= 0.75`);
  // segment follows the tag set 90% of the time; the majority class is about 40%.
  t.true(test1.segment.accuracy >= 0.7, `segment test accuracy ${test1.segment.accuracy} >= 0.7`);
  // spend = age/10 + 3*premium + U(-0.5, 0.5): its std is about 2.2; a useful model is well under 1.5.
  t.true(test1.spend.rmse < 1.5, `spend test RMSE ${test1.spend.rmse} < 1.5`);
  const html = readFileSync(join(run, 'report.html'), 'utf8');
  t.regex(html, /<svg/);
  t.regex(html, /clicked/);
  const saved = JSON.parse(readFileSync(join(run, 'model', 'config.json'), 'utf8'));
  t.is(saved.format, 'trunkline.model');
  t.is(saved.config.architecture, 'shared-bottom');
});

test.serial('eval prints per-task metrics on new labelled rows', async (t) => {
  const { run } = await trainOnce();
  const r = await cli(['eval', '--model', run, '--data', newCsv], work);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /\(400 rows\)/);
  const aucLine = r.stdout.split('\n').find((l) => /clicked\s+\|?\s*auc/.test(l));
  t.truthy(aucLine, r.stdout);
  const value = Number(aucLine!.match(/auc\s+\|?\s*([0-9.]+)/)![1]);
  t.true(value >= 0.75, `eval AUC ${value}`);
});

test.serial('predict writes one row per input row with every task, and ranks clicks well', async (t) => {
  const { run } = await trainOnce();
  const rows = shopRows(400, 2);
  // Prediction needs only the feature columns, in any order.
  const features = join(work, 'features-only.csv');
  writeFileSync(features, toCsv(rows, ['title', 'tags', 'age', 'region']));
  const out = join(work, 'preds.csv');
  const r = await cli(['predict', '--model', run, '--data', features, '--out', out], work);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /wrote 400 predictions/);
  const preds = readPreds(out);
  t.deepEqual(preds.header, ['line', 'clicked_probability', 'clicked_label', 'segment', 'segment_probability', 'spend']);
  t.is(preds.rows.length, 400);
  t.deepEqual(preds.rows.slice(0, 3).map((r) => r[0]), ['2', '3', '4'], 'source line numbers');
  const p = preds.rows.map((r) => Number(r[1]));
  t.true(p.every((v) => v >= 0 && v <= 1), 'probabilities in [0, 1]');
  t.true(preds.rows.every((r) => ['A', 'B', 'C'].includes(r[3])), 'segment is a class name');
  t.true(preds.rows.every((r) => Number.isFinite(Number(r[5]))), 'spend is a number');
  const a = auc(rows.map((x) => (x.clicked === 'yes' ? 1 : 0)), p);
  t.true(a >= 0.75, `AUC of predicted probabilities ${a}`);
});

test.serial('train --resume continues the saved model on more rows and writes a new run', async (t) => {
  const { run } = await trainOnce();
  const resumeOut = join(work, 'resumed');
  const r = await cli(['train', '--resume', run, '--data', moreCsv, '--epochs', '2', '--out', resumeOut, '--no-progress'], work);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /before\s+\|?\s*after/);
  const dirs = runDirs(resumeOut);
  t.is(dirs.length, 1);
  const dir = join(resumeOut, dirs[0]);
  const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
  t.is(m.format, 'trunkline.resume');
  t.true(m.after.metrics.clicked.auc >= 0.7, `AUC after resuming ${m.after.metrics.clicked.auc}`);
  // The resumed model keeps the vocabularies: it still predicts from raw rows.
  const out = join(work, 'preds-resumed.csv');
  const p = await cli(['predict', '--model', dir, '--data', newCsv, '--out', out], work);
  t.is(p.code, 0, p.stderr);
  t.is(readPreds(out).rows.length, 400);

  // Two runs into one directory within the same second get distinct names; neither is lost.
  const [a, b] = await Promise.all([0, 1].map(() => cli(['train', '--resume', run, '--data', moreCsv, '--epochs', '1', '--out', resumeOut, '--no-progress'], work)));
  t.is(a.code, 0, a.stderr);
  t.is(b.code, 0, b.stderr);
  t.is(runDirs(resumeOut).filter((d) => !d.startsWith('.')).length, 3);
  t.deepEqual(runDirs(resumeOut).filter((d) => d.startsWith('.')), [], 'no partial directory left');
});

// ---------- bad input ----------

/** A fresh directory with one file, and the runs directory train would write into. */
function scene(name: string, content: string) {
  const dir = tempDir();
  const file = join(dir, name);
  writeFileSync(file, content);
  const out = join(dir, 'runs');
  return { dir, file, out };
}

async function trainFails(t: import('ava').ExecutionContext, content: string, message: RegExp, config: object = shopConfig({ epochs: 1 })) {
  const s = scene('data.csv', content);
  const cfg = join(s.dir, 'cfg.json');
  writeFileSync(cfg, JSON.stringify(config));
  const r = await cli(['train', '--data', s.file, '--config', cfg, '--out', s.out, '--no-progress'], s.dir);
  assertCleanFailure(t, r, message);
  t.deepEqual(runDirs(s.out), [], 'no run directory, not even a partial one');
}

test('a missing task column names the file and the column', async (t) => {
  const cols = [...FEATURE_COLUMNS, 'clicked', 'spend'] as const;
  await trainFails(t, toCsv(shopRows(60, 4), [...cols]), /data\.csv: missing column 'segment' \(columns are: age, region, tags, title, clicked, spend\)/);
});

test('a label that is not binary names the file, line and column', async (t) => {
  const rows = shopRows(60, 5);
  rows[9].clicked = 'maybe';
  await trainFails(t, toCsv(rows), /data\.csv line 11, column 'clicked': label 'maybe' is not binary/);
});

test('an empty file, and a header with no rows, are clear errors', async (t) => {
  await trainFails(t, '', /data\.csv: the file is empty/);
  await trainFails(t, `${[...FEATURE_COLUMNS, ...TASK_COLUMNS].join(',')}\n`, /data\.csv: no data rows after the header/);
});

test('ragged rows are skipped and counted in train; predict stops at the first one', async (t) => {
  const rows = shopRows(300, 6);
  const lines = toCsv(rows).split('\n');
  lines[5] = 'oops,only,three';
  lines[20] = `${lines[20]},extra`;
  const s = scene('ragged.csv', lines.join('\n'));
  const cfg = join(s.dir, 'cfg.json');
  writeFileSync(cfg, JSON.stringify(shopConfig({ epochs: 1 })));
  const r = await cli(['train', '--data', s.file, '--config', cfg, '--out', s.out, '--no-progress'], s.dir);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /2 bad rows skipped \(first: ragged\.csv line 6: expected 7 fields, found 3\)/);
  const run = join(s.out, runDirs(s.out)[0]);
  t.is(JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')).data.badRows, 2);

  // predict must give one output row per input row, so a ragged row is an error.
  const out = join(s.dir, 'preds.csv');
  const p = await cli(['predict', '--model', run, '--data', s.file, '--out', out], s.dir);
  assertCleanFailure(t, p, /ragged\.csv line 6: expected 7 fields, found 3/);
  t.false(existsSync(out), 'no preds file');
  t.deepEqual(readdirSync(s.dir).filter((f) => f.includes('preds')), [], 'no temp file left either');
});

test('data.onBadRow "error" in the config makes a ragged row fatal', async (t) => {
  const lines = toCsv(shopRows(60, 7)).split('\n');
  lines[3] = 'a,b';
  await trainFails(t, lines.join('\n'), /data\.csv line 4: expected 7 fields, found 2/, { ...shopConfig({ epochs: 1 }), data: { onBadRow: 'error' } });
});

test('a config with an unknown field or a bad architecture names the config file and field', async (t) => {
  const s = scene('data.csv', toCsv(shopRows(60, 8)));
  const cases: [object, RegExp][] = [
    [{ ...shopConfig(), trainng: {} }, /bad\.json: unknown field 'trainng'/],
    [{ ...shopConfig(), model: { architecture: 'transformer' } }, /bad\.json: model\.architecture must be one of shared-bottom, mmoe/],
    [{ ...shopConfig(), model: { hiden: [8] } }, /bad\.json: unknown field 'model\.hiden'/],
    [{ ...shopConfig(), training: { epochs: 0 } }, /bad\.json: training\.epochs must be a positive integer, got 0/],
    [{ ...shopConfig(), tasks: [{ name: 'clicked', type: 'binery' }] }, /bad\.json: tasks\[0\] \('clicked'\): type must be binary/],
  ];
  for (const [config, message] of cases) {
    const cfg = join(s.dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify(config));
    const r = await cli(['train', '--data', s.file, '--config', cfg, '--out', s.out, '--no-progress'], s.dir);
    assertCleanFailure(t, r, message);
  }
  const cfg = join(s.dir, 'bad.json');
  writeFileSync(cfg, '{"tasks": [');
  assertCleanFailure(t, await cli(['train', '--data', s.file, '--config', cfg, '--out', s.out], s.dir), /bad\.json: is not valid JSON/);
  t.deepEqual(runDirs(s.out), []);
});

test('predict with a missing feature column names the file and the column', async (t) => {
  const { run } = await trainOnce();
  const s = scene('new.csv', toCsv(shopRows(30, 9), ['age', 'tags', 'title']));
  const out = join(s.dir, 'preds.csv');
  const r = await cli(['predict', '--model', run, '--data', s.file, '--out', out], s.dir);
  assertCleanFailure(t, r, /new\.csv: missing column 'region' \(columns are: age, tags, title\)/);
  t.false(existsSync(out));

  // A cell that is not a number in a numeric feature is read as missing, with a warning.
  const rows = shopRows(30, 9);
  rows[3].age = 'forty';
  rows[7].age = '3x';
  writeFileSync(s.file, toCsv(rows, [...FEATURE_COLUMNS]));
  const w = await cli(['predict', '--model', run, '--data', s.file, '--out', out], s.dir);
  t.is(w.code, 0, w.stderr);
  t.regex(w.stdout, /warning: new\.csv, column 'age': 2 cells are not numbers \(e\.g\. 'forty' on line 5\); they are treated as missing \(filled with the training mean\)/);
  t.is(readPreds(out).rows.length, 30);
});

test('a model directory whose weights come from another config is refused', async (t) => {
  const { run } = await trainOnce();
  // A second run with another architecture (MMoE): its weights do not fit the first config.
  const other = tempDir();
  const cfg = join(other, 'mmoe.json');
  writeFileSync(cfg, JSON.stringify(shopConfig({ architecture: 'mmoe', epochs: 1 })));
  const small = join(other, 'small.csv');
  writeFileSync(small, toCsv(shopRows(200, 10)));
  const tr = await cli(['train', '--data', small, '--config', cfg, '--out', join(other, 'runs'), '--no-progress'], other);
  t.is(tr.code, 0, tr.stderr);
  const otherRun = join(other, 'runs', runDirs(join(other, 'runs'))[0]);

  // Mixed directory: config.json of the first run, weights of the second.
  const mixed = join(other, 'mixed', 'model');
  mkdirSync(mixed, { recursive: true });
  copyFileSync(join(run, 'model', 'config.json'), join(mixed, 'config.json'));
  copyFileSync(join(otherRun, 'model', 'weights.safetensors'), join(mixed, 'weights.safetensors'));
  const out = join(other, 'preds.csv');
  const r = await cli(['predict', '--model', join(other, 'mixed'), '--data', newCsv, '--out', out], other);
  assertCleanFailure(t, r, /weights\.safetensors does not match .*config\.json/);
  t.false(existsSync(out));

  // A config.json edited to another architecture (checksum still matches): the shapes differ.
  const edited = join(other, 'edited', 'model');
  mkdirSync(edited, { recursive: true });
  const conf = JSON.parse(readFileSync(join(run, 'model', 'config.json'), 'utf8'));
  conf.config.architecture = 'mmoe';
  writeFileSync(join(edited, 'config.json'), JSON.stringify(conf));
  copyFileSync(join(run, 'model', 'weights.safetensors'), join(edited, 'weights.safetensors'));
  const e = await cli(['eval', '--model', edited, '--data', newCsv], other);
  assertCleanFailure(t, e, /weights\.safetensors: does not fit the mmoe model of .*config\.json/);

  // Not a model directory at all.
  const none = await cli(['predict', '--model', other, '--data', newCsv, '--out', out], other);
  assertCleanFailure(t, none, /no saved model here/);
  t.false(existsSync(out));
});
