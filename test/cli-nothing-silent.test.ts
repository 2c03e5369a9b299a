// The command line never fails silently and never destroys or quietly degrades what the
// user had: each mistake gets a clear message naming the file or option, and outputs are
// never written over inputs, existing files or better models.
import test from 'ava';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers/tmp.js';
import { shopConfig, shopRows, toCsv, FEATURE_COLUMNS } from './helpers/cli-fixtures.js';
import { assertCleanFailure, cli, CLI, ROOT } from './helpers/cli-run.js';
import * as tl from '../src/index.js';

const work = tempDir();
const trainCsv = join(work, 'train.csv');
const newCsv = join(work, 'new.csv');
const configPath = join(work, 'shop.json');
const runsDir = join(work, 'runs');
writeFileSync(trainCsv, toCsv(shopRows(800, 11)));
writeFileSync(newCsv, toCsv(shopRows(120, 12)));
// A regression task named 'line' (predicting spend): its output column is 'line', the name
// predict also gives the source line numbers.
const config = shopConfig({ epochs: 3 });
config.tasks[2] = { name: 'line', type: 'regression', column: 'spend' } as (typeof config.tasks)[number];
writeFileSync(configPath, JSON.stringify(config));

let trained: Promise<string> | null = null;
function trainOnce(): Promise<string> {
  trained ??= cli(['train', '--data', trainCsv, '--config', configPath, '--out', runsDir, '--no-progress'], work).then((r) => {
    if (r.code !== 0) throw new Error(`train failed: ${r.stderr}`);
    return join(runsDir, readdirSync(runsDir)[0]);
  });
  return trained;
}

const header = (path: string): string[] => readFileSync(path, 'utf8').split('\n')[0].split(',');
const rowsOf = (path: string): string[][] => readFileSync(path, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));

test('nothing silent 7: a task named line keeps its column; the row numbers move aside, and predict says so', async (t) => {
  t.true(existsSync(CLI), `build first (npx tsc -p .): ${CLI} is missing`);
  const run = await trainOnce();
  const out = join(tempDir(), 'preds.csv');
  const r = await cli(['predict', '--model', run, '--data', newCsv, '--out', out], work);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(header(out), ['line_2', 'clicked_probability', 'clicked_label', 'segment', 'segment_probability', 'line']);
  t.regex(r.stdout, /output column 'line' is taken by a task output; the source line numbers are written as 'line_2'/);
  const rows = rowsOf(out);
  t.deepEqual(rows.slice(0, 2).map((x) => x[0]), ['2', '3'], 'source line numbers');
  t.true(rows.every((x) => Number.isFinite(Number(x[5])) && !Number.isInteger(Number(x[5]))), 'the line task holds spend predictions, not row numbers');
});

test('nothing silent 8: predict refuses --out equal to --data', async (t) => {
  const run = await trainOnce();
  const dir = tempDir();
  const data = join(dir, 'rows.csv');
  const original = toCsv(shopRows(50, 13), [...FEATURE_COLUMNS]);
  writeFileSync(data, original);
  symlinkSync(data, join(dir, 'link.csv'));
  mkdirSync(join(dir, 'sub'));
  for (const out of [data, join(dir, 'sub', '..', 'rows.csv'), join(dir, 'link.csv'), 'rows.csv']) {
    const r = await cli(['predict', '--model', run, '--data', data, '--out', out, '--force'], dir);
    assertCleanFailure(t, r, /--out .* is the input file --data .*rows\.csv/);
    t.is(readFileSync(data, 'utf8'), original, `input untouched (--out ${out})`);
  }
});

test('nothing silent 8: predict refuses to overwrite an existing file unless --force', async (t) => {
  const run = await trainOnce();
  const dir = tempDir();
  const out = join(dir, 'preds.csv');
  writeFileSync(out, 'precious\n');
  const r = await cli(['predict', '--model', run, '--data', newCsv, '--out', out], dir);
  assertCleanFailure(t, r, /--out .*preds\.csv already exists; pass --force to overwrite it/);
  t.is(readFileSync(out, 'utf8'), 'precious\n');
  const f = await cli(['predict', '--model', run, '--data', newCsv, '--out', out, '--force'], dir);
  t.is(f.code, 0, f.stderr);
  t.is(rowsOf(out).length, 120);
});

test('predict --keep passes columns through, binary tasks get a 0/1 label, --top-k ranks the classes', async (t) => {
  const run = await trainOnce();
  const dir = tempDir();
  const rows = shopRows(60, 14);
  const data = join(dir, 'rows.csv');
  const withIds = toCsv(rows).split('\n');
  withIds[0] = `user_id,${withIds[0]}`;
  for (let i = 1; i < withIds.length - 1; i++) withIds[i] = `u00${i},${withIds[i]}`;
  writeFileSync(data, withIds.join('\n'));
  const out = join(dir, 'preds.csv');
  const r = await cli(['predict', '--model', run, '--data', data, '--out', out, '--keep', 'user_id,region', '--top-k', '2'], dir);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(header(out), [
    'line_2', 'user_id', 'region', 'clicked_probability', 'clicked_label',
    'segment_top1', 'segment_top1_probability', 'segment_top2', 'segment_top2_probability', 'line',
  ]);
  const got = rowsOf(out);
  t.deepEqual(got.slice(0, 2).map((x) => x[1]), ['u001', 'u002'], 'ids verbatim (leading zeros kept)');
  t.deepEqual(got.map((x) => x[2]), rows.map((x) => x.region));
  for (const x of got) {
    t.is(x[4], Number(x[3]) >= 0.5 ? '1' : '0', 'label = probability >= 0.5');
    t.true(['A', 'B', 'C'].includes(x[5]) && ['A', 'B', 'C'].includes(x[7]) && x[5] !== x[7]);
    t.true(Number(x[6]) >= Number(x[8]), 'ranked by probability');
  }
  const missing = await cli(['predict', '--model', run, '--data', data, '--out', join(dir, 'p2.csv'), '--keep', 'order_id'], dir);
  assertCleanFailure(t, missing, /rows\.csv: missing column 'order_id'/);
  const bad = await cli(['predict', '--model', run, '--data', data, '--out', join(dir, 'p3.csv'), '--top-k', '0'], dir);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /--top-k.*expected a positive integer, got '0'/);
});

test('nothing silent 10: train --out that cannot be used fails before any data is read', async (t) => {
  const dir = tempDir();
  const blocker = join(dir, 'file');
  writeFileSync(blocker, 'x');
  const cfg = join(dir, 'cfg.json');
  writeFileSync(cfg, JSON.stringify(shopConfig({ epochs: 1 })));
  // The data file does not exist: an error about it would mean the data was read first.
  const r = await cli(['train', '--data', join(dir, 'nope.csv'), '--config', cfg, '--out', join(blocker, 'runs'), '--no-progress'], dir);
  assertCleanFailure(t, r, /--out .*file\/runs: cannot be created: .*file is a file, not a directory/);
  const run = await trainOnce();
  const resumed = await cli(['train', '--resume', run, '--data', join(dir, 'nope.csv'), '--out', blocker, '--no-progress'], dir);
  assertCleanFailure(t, resumed, /--out .*file: exists and is not a directory/);
});

test('nothing silent: --seeds "" and repeated seeds are refused', async (t) => {
  const dir = tempDir();
  for (const [seeds, message] of [
    ['', /--seeds.*expected comma-separated integers, got ''/],
    ['1,,2', /expected comma-separated integers, got '1,,2'/],
    ['1,1', /seed 1 is given twice in '1,1'/],
  ] as const) {
    const r = await cli(['train', '--seeds', seeds, '--out', join(dir, 'runs'), '--no-progress'], dir);
    t.is(r.code, 1, `--seeds '${seeds}': ${r.stderr}`);
    t.regex(r.stderr, message);
  }
  t.false(existsSync(join(dir, 'runs')));
});

test('trunkline --version prints the version in package.json', async (t) => {
  const r = await cli(['--version'], ROOT);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
});

test('nothing silent 5: train --resume refuses options it cannot honour, naming them', async (t) => {
  const run = await trainOnce();
  const dir = tempDir();
  const r = await cli(['train', '--resume', run, '--data', newCsv, '--arch', 'mmoe', '--weighting', 'uncertainty', '--config', configPath, '--out', join(dir, 'runs')], dir);
  assertCleanFailure(t, r, /train --resume cannot honour --arch, --weighting, --config/);
  const seeds = await cli(['train', '--resume', run, '--data', newCsv, '--seeds', '1,2', '--out', join(dir, 'runs')], dir);
  assertCleanFailure(t, seeds, /cannot honour --seeds with more than one seed/);
  t.false(existsSync(join(dir, 'runs')));
});

test('nothing silent 5: train --resume never saves a model worse on validation than its start, says which it kept, writes report.html', async (t) => {
  const run = await trainOnce();
  const dir = tempDir();
  const more = join(dir, 'more.csv');
  writeFileSync(more, toCsv(shopRows(300, 15)));
  const r = await cli(['train', '--resume', run, '--data', more, '--epochs', '1', '--out', join(dir, 'runs'), '--no-progress'], dir);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /kept (the starting weights: no epoch of 1 epoch beat|epoch 1 of 1 epoch:)/);
  t.notRegex(r.stdout, /\b1 epochs\b/);
  const out = join(dir, 'runs', readdirSync(join(dir, 'runs'))[0]);
  for (const f of ['report.html', 'metrics.json', 'model/config.json', 'model/weights.safetensors']) t.true(existsSync(join(out, f)), f);
  t.regex(readFileSync(join(out, 'report.html'), 'utf8'), /Validation \(new rows\) metrics per task/);
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  const better = (a: number, b: number) => (m.monitor.higherIsBetter ? a > b : a < b);
  t.false(better(m.monitor.start, m.monitor.kept), `saved model's ${m.monitor.metric} ${m.monitor.kept} is not worse than the start's ${m.monitor.start}`);
  const sha = (d: string) => JSON.parse(readFileSync(join(d, 'model', 'config.json'), 'utf8')).weights.sha256;
  if (m.kept === 'start') t.is(sha(out), sha(run), 'the starting weights, unchanged');
  else t.true(better(m.monitor.best, m.monitor.start), `kept ${m.kept}: ${m.monitor.best} beats ${m.monitor.start}`);
});

test('nothing silent: binary garbage or a directory without data files as --data is an error naming it', async (t) => {
  const run = await trainOnce();
  const dir = tempDir();
  const garbage = join(dir, 'model.bin');
  writeFileSync(garbage, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37 + 11) % 256)));
  const latin1 = join(dir, 'latin1.csv');
  writeFileSync(latin1, Buffer.from('age,region\n30,S\xe3o Paulo\n', 'latin1'));
  const cfg = join(dir, 'cfg.json');
  writeFileSync(cfg, JSON.stringify(shopConfig({ epochs: 1 })));
  const p = await cli(['predict', '--model', run, '--data', garbage, '--out', join(dir, 'p.csv')], dir);
  assertCleanFailure(t, p, /model\.bin: .*binary file, not CSV text/);
  t.false(/[\x00-\x08\x0e-\x1f]/.test(p.stderr), 'no raw bytes on the terminal');
  const tr = await cli(['train', '--data', garbage, '--config', cfg, '--out', join(dir, 'runs'), '--no-progress'], dir);
  assertCleanFailure(t, tr, /model\.bin: .*binary file/);
  const l = await cli(['predict', '--model', run, '--data', latin1, '--out', join(dir, 'p.csv')], dir);
  assertCleanFailure(t, l, /latin1\.csv: .*not UTF-8 text .*line 2/);
  // A directory is read as shards of data; one without data files names itself.
  const notes = join(dir, 'notes');
  mkdirSync(notes);
  writeFileSync(join(notes, 'readme.md'), 'no data here');
  const d = await cli(['predict', '--model', run, '--data', notes, '--out', join(dir, 'p.csv')], dir);
  assertCleanFailure(t, d, new RegExp(`${notes.replace(/[/.]/g, '\\$&')}: a directory with no data files`));
  t.false(existsSync(join(dir, 'p.csv')));
  t.false(existsSync(join(dir, 'runs')));
});

test('weights edited outside trunkline: the checksum error names `trunkline rehash`, which re-records it', async (t) => {
  const run = await trainOnce();
  const dir = tempDir();
  const copy = join(dir, 'run', 'model');
  mkdirSync(copy, { recursive: true });
  for (const f of ['config.json', 'weights.safetensors']) writeFileSync(join(copy, f), readFileSync(join(run, 'model', f)));
  // As Python would: every tensor rewritten as float64, one weight nudged.
  const { tensors } = tl.io.loadSafetensors(join(copy, 'weights.safetensors'));
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  const parts: Buffer[] = [];
  let offset = 0;
  for (const name of names) {
    const values = Array.from(tensors[name].data());
    const buf = Buffer.alloc(values.length * (tensors[name].dtype === 'float32' ? 8 : 4));
    if (tensors[name].dtype === 'float32') values.forEach((v, i) => buf.writeDoubleLE(name === names[0] && i === 0 ? v + 0.01 : v, i * 8));
    else values.forEach((v, i) => buf.writeInt32LE(v, i * 4));
    header[name] = { dtype: tensors[name].dtype === 'float32' ? 'F64' : 'I32', shape: tensors[name].shape, data_offsets: [offset, offset + buf.length] };
    parts.push(buf);
    offset += buf.length;
  }
  const json = Buffer.from(JSON.stringify(header).padEnd(Math.ceil(JSON.stringify(header).length / 8) * 8));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(join(copy, 'weights.safetensors'), Buffer.concat([len, json, ...parts]));

  const out = join(dir, 'p.csv');
  const r = await cli(['predict', '--model', join(dir, 'run'), '--data', newCsv, '--out', out], dir);
  assertCleanFailure(t, r, /checksum differs.*run `trunkline rehash --model .*run\/model` to record their new checksum/);
  const h = await cli(['rehash', '--model', join(dir, 'run')], dir);
  t.is(h.code, 0, h.stderr);
  t.regex(h.stdout, /recorded the checksum of .*weights\.safetensors .*converted on load: F64 -> float32/);
  const p = await cli(['predict', '--model', join(dir, 'run'), '--data', newCsv, '--out', out], dir);
  t.is(p.code, 0, p.stderr);
  t.regex(p.stdout, /note: .*weight tensor\(s\) converted on load: F64 -> float32/);
  t.is(rowsOf(out).length, 120);
  t.deepEqual(readdirSync(dir).sort(), ['p.csv', 'run'], 'no litter from the rehash');
});

test('loadRun from the package entry: predict from raw rows in user terms, save and reload', async (t) => {
  const run = await trainOnce();
  const model = tl.loadRun(run);
  t.deepEqual(model.inputColumns.sort(), ['age', 'region', 'tags', 'title']);
  const rows = shopRows(5, 16).map(({ age, region, tags, title }) => ({ age: Number(age), region, tags, title }));
  const preds = model.predictRows(rows);
  t.deepEqual(Object.keys(preds).sort(), ['clicked', 'line', 'segment']);
  const c = preds.clicked;
  if (c.type !== 'binary') return t.fail(`clicked is ${c.type}`);
  t.is(c.probability.length, 5);
  t.deepEqual(c.label, c.probability.map((p) => (p >= 0.5 ? 1 : 0)));
  const s = preds.segment;
  if (s.type !== 'multiclass') return t.fail(`segment is ${s.type}`);
  t.deepEqual(s.classes, ['A', 'B', 'C']);
  t.true(s.label.every((x) => ['A', 'B', 'C'].includes(x)));
  t.true(s.probabilities.every((p) => Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-4));
  const l = preds.line;
  if (l.type !== 'regression') return t.fail(`line is ${l.type}`);
  t.true(l.value.every((v) => v > 0 && v < 15), `spend in its own units: ${l.value}`);
  // The same rows through the CLI give the same numbers.
  const dir = tempDir();
  writeFileSync(join(dir, 'rows.csv'), toCsv(shopRows(5, 16), [...FEATURE_COLUMNS]));
  const r = await cli(['predict', '--model', run, '--data', join(dir, 'rows.csv'), '--out', join(dir, 'p.csv')], dir);
  t.is(r.code, 0, r.stderr);
  rowsOf(join(dir, 'p.csv')).forEach((x, i) => t.true(Math.abs(Number(x[1]) - c.probability[i]) < 1e-6));

  model.save(join(dir, 'saved'));
  const again = tl.loadRun(join(dir, 'saved'));
  const p2 = again.predictRows(rows).clicked;
  t.deepEqual(p2.type === 'binary' ? p2.probability : [], c.probability);
  t.throws(() => model.predictRows([{ age: 30, region: 'north' }]), { message: /rows\[0\]: missing column '(tags|title)'/ });
});

test('nothing silent: Ctrl-C during training exits 130, restores the terminal and says what was kept', async (t) => {
  const dir = tempDir();
  const data = join(dir, 'data.csv');
  writeFileSync(data, toCsv(shopRows(3000, 17)));
  const cfg = join(dir, 'cfg.json');
  const long = shopConfig({ epochs: 500 });
  long.training.patience = 500;
  writeFileSync(cfg, JSON.stringify(long));
  const out = join(dir, 'runs');
  const r = await cli(['train', '--data', data, '--config', cfg, '--out', out, '--no-progress'], dir, (child, output) => {
    const poll = setInterval(() => {
      // Interrupt once an epoch has run: training is under way.
      if (/epoch 1 /.test(output.stdout)) {
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 50);
    child.on('exit', () => clearInterval(poll));
  });
  t.is(r.code, 130, `exit code (stdout: ${r.stdout.slice(-500)} stderr: ${r.stderr})`);
  t.regex(r.stdout, /interrupted \(SIGINT\): nothing was written/);
  t.deepEqual(existsSync(out) ? readdirSync(out) : [], [], 'no run directory, no partial one');
});

test('a run directory half-written by a killed run is removed by the next run', async (t) => {
  const run = await trainOnce();
  const dir = tempDir();
  const out = join(dir, 'runs');
  // pid 99999999 cannot exist: the run that wrote this was killed.
  mkdirSync(join(out, '.2026-01-01T00-00-00.99999999.partial', 'model'), { recursive: true });
  const r = await cli(['train', '--resume', run, '--data', newCsv, '--epochs', '1', '--out', out, '--no-progress'], dir);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(readdirSync(out).filter((n) => n.startsWith('.')), []);
  t.is(readdirSync(out).length, 1);
});
