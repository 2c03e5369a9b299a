// `trunkline tune --space` end to end on a small slice of synthetic shop data: a search with
// two worker processes and successive halving writes its directory (trials.jsonl with
// validation metrics only, search.json, best-config.json, pareto/, report.html); a search
// resumed with more trials keeps the finished ones and adds the rest; bad input fails
// before anything is written. Run from source through tsx, as the workers are.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers/tmp.js';
import { ROOT } from './helpers/cli-run.js';
import { shopConfig, shopRows, toCsv } from './helpers/cli-fixtures.js';
import { loadConfig } from '../src/cli/config.js';
import { parseSpace } from '../src/tune/space.js';
import { makeSampler } from '../src/tune/sampler.js';

const MAIN = join(ROOT, 'src', 'cli', 'main.ts');

function tune(args: string[], onStdout?: (text: string, child: ChildProcess) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // From the repository root, where --import tsx resolves; every path given is absolute.
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'tune', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const work = tempDir();
const csv = join(work, 'shop.csv');
const configPath = join(work, 'shop.json');
const spacePath = join(work, 'space.json');
writeFileSync(csv, toCsv(shopRows(600, 1)));
writeFileSync(configPath, JSON.stringify({ ...shopConfig({ epochs: 2 }), data: { path: csv } }));
const space = {
  'training.lr': { log: [0.002, 0.05] },
  'training.batchSize': [32, 64],
  'tasks.clicked.weight': { range: [0.5, 2] },
  'model.hidden': [[16], [24, 8]],
};
writeFileSync(spacePath, JSON.stringify(space));

const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');
const searchDir = (out: string) => {
  const dirs = readdirSync(out).filter((d) => d.startsWith('tune-'));
  return join(out, dirs[0]);
};

test('tune: a 4-trial search with 2 workers and successive halving writes its directory; the search sees validation metrics only', async (t) => {
  const out = join(work, 'runs-a');
  const r = await tune(['--config', configPath, '--space', spacePath, '--trials', '4', '--parallel', '2', '--asha', '--seed', '3', '--out', out]);
  t.is(r.code, 0, r.stderr + r.stdout);
  const dir = searchDir(out);
  for (const f of ['trials.jsonl', 'search.json', 'best-config.json', 'report.html', 'summary.json']) t.true(existsSync(join(dir, f)), f);
  const trials = lines(join(dir, 'trials.jsonl')).map((l) => JSON.parse(l));
  t.deepEqual(trials.map((x) => x.trial).sort(), [0, 1, 2, 3]);
  for (const x of trials) {
    t.deepEqual(Object.keys(x.validation).sort(), ['clicked', 'segment', 'spend']);
    t.false('test' in x, 'a trial records no test metrics');
    t.true(['finished', 'stopped'].includes(x.status), x.status);
  }
  t.false(readFileSync(join(dir, 'trials.jsonl'), 'utf8').includes('"test"'));
  // One line per finished trial, all before the chosen trials are tested.
  const out1 = r.stdout;
  const trialLines = out1.split('\n').filter((l) => /^trial \d/.test(l));
  t.is(trialLines.length, 4);
  t.true(out1.lastIndexOf('\ntrial ') < out1.indexOf('testing the chosen trials'), 'the test split is read only after the last trial');
  for (const l of trialLines) t.regex(l, /clicked auc \d\.\d{4}\s+segment accuracy \d\.\d{4}\s+spend score -?\d\.\d{4}.* s, /);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  t.true(summary.front.length >= 1);
  t.true(summary.best !== null);
  // Only trial 0, the best and the front were tested.
  const allowed = new Set([0, summary.best, ...summary.front]);
  for (const c of summary.chosen) t.true(allowed.has(c.trial));
  t.deepEqual(readdirSync(join(dir, 'pareto')).sort(), summary.front.map((id: number) => `${id}.json`).sort());
  // The configs are ready for `trunkline train --config`.
  const best = loadConfig(join(dir, 'best-config.json'));
  const bestTrial = trials.find((x) => x.trial === summary.best);
  t.is(best.training.lr, bestTrial.params['training.lr']);
  for (const f of readdirSync(join(dir, 'pareto'))) t.notThrows(() => loadConfig(join(dir, 'pareto', f)));
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  t.is((html.match(/<svg/g) ?? []).length, 3, 'one scatter per task pair');
  t.regex(html, /<polyline/);
  t.notRegex(html, /<script|https?:\/\/(?!www\.w3\.org)/);
  t.regex(r.stdout, /Δm of the best trial against the config as given \(trial 0\): validation [+-]\d+\.\d\d%, test [+-]\d+\.\d\d%/);
});

test('tune: --resume with more trials keeps the finished trials unchanged and adds the missing ones', async (t) => {
  const out = join(work, 'runs-b');
  const first = await tune(['--config', configPath, '--space', spacePath, '--trials', '2', '--parallel', '2', '--seed', '5', '--out', out]);
  t.is(first.code, 0, first.stderr + first.stdout);
  const dir = searchDir(out);
  const before = lines(join(dir, 'trials.jsonl'));
  t.is(before.length, 2);
  const second = await tune(['--resume', dir, '--trials', '4', '--parallel', '2']);
  t.is(second.code, 0, second.stderr + second.stdout);
  t.regex(second.stdout, /resuming: 2 finished trials/);
  const after = lines(join(dir, 'trials.jsonl'));
  t.is(after.length, 4);
  t.deepEqual(after.slice(0, 2), before, 'the first two trials are unchanged');
  const trials = after.map((l) => JSON.parse(l));
  t.deepEqual(trials.map((x) => x.trial).sort(), [0, 1, 2, 3]);
  // The resumed trials drew what a search of 4 trials draws.
  const sampler = makeSampler('random', { space: parseSpace(space, loadConfig(configPath)), seed: 5, lag: 2 });
  for (const x of trials.filter((y) => y.trial > 0)) t.deepEqual(x.params, sampler.suggest(x.trial, []));
  t.is(JSON.parse(readFileSync(join(dir, 'search.json'), 'utf8')).trials, 4);
  // --resume takes the search's own settings.
  const refused = await tune(['--resume', dir, '--space', spacePath]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /tune --resume keeps the search's settings \(search\.json\); it takes --trials and --parallel only, not --space/);
});

test('tune: bad input fails with one clear message before any trial or directory', async (t) => {
  const out = join(work, 'runs-c');
  const bad = join(work, 'bad-space.json');
  writeFileSync(bad, JSON.stringify({ 'training.lr': { log: [0, 0.1] } }));
  const r = await tune(['--config', configPath, '--space', bad, '--trials', '3', '--out', out]);
  t.is(r.code, 1);
  t.regex(r.stderr, /bad-space\.json: 'training\.lr': a log range needs lo > 0, got \[0, 0\.1\]/);
  t.notRegex(r.stderr, /^\s+at /m);
  const p = await tune(['--config', configPath, '--space', spacePath, '--parallel', '999', '--out', out]);
  t.is(p.code, 1);
  t.regex(p.stderr, /--parallel 999 is more than this machine's \d+ cores/);
  const n = await tune(['--trials', '4']);
  t.is(n.code, 1);
  t.regex(n.stderr, /--trials is a search option: give --space too/);
  t.false(existsSync(out), 'nothing written');
  // Trial 0, the config as given, cannot train: the search stops with its error and leaves nothing.
  const noData = join(work, 'no-data.json');
  writeFileSync(noData, JSON.stringify({ ...shopConfig({ epochs: 2 }), data: { path: join(work, 'missing.csv') } }));
  const out2 = join(work, 'runs-e');
  const f = await tune(['--config', noData, '--space', spacePath, '--trials', '3', '--parallel', '2', '--out', out2]);
  t.is(f.code, 1);
  t.regex(f.stderr, /trial 0 \(the config as given\) failed, so the search stops: .*missing\.csv/);
  t.deepEqual(readdirSync(out2), []);
});

test('tune: Ctrl-C stops the workers and keeps every finished trial; --resume completes the search', async (t) => {
  const out = join(work, 'runs-d');
  // Longer trials, so the search is still running when Ctrl-C comes.
  const slow = join(work, 'slow.json');
  writeFileSync(slow, JSON.stringify({ ...shopConfig({ epochs: 12 }), data: { path: csv }, training: { epochs: 12, batchSize: 32, lr: 0.01, patience: 12, seed: 1 } }));
  let sent = false;
  const r = await tune(['--config', slow, '--space', spacePath, '--trials', '6', '--parallel', '2', '--seed', '9', '--out', out], (text, child) => {
    if (!sent && /^trial +\d/m.test(text)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  t.is(r.code, 130, r.stderr + r.stdout);
  const m = /interrupted \(SIGINT\): (\d+) finished trials kept in .*trials\.jsonl; .*Resume with: trunkline tune --resume (\S+)/.exec(r.stdout);
  t.truthy(m, r.stdout);
  const dir = searchDir(out);
  const kept = lines(join(dir, 'trials.jsonl'));
  t.is(kept.length, Number(m![1]));
  t.is(kept.length, r.stdout.split('\n').filter((l) => /^trial +\d/.test(l)).length, 'every logged trial is recorded, and only those');
  t.false(existsSync(join(dir, 'summary.json')));
  const resumed = await tune(['--resume', dir]);
  t.is(resumed.code, 0, resumed.stderr + resumed.stdout);
  const all = lines(join(dir, 'trials.jsonl'));
  t.deepEqual(all.slice(0, kept.length), kept);
  t.deepEqual(all.map((l) => JSON.parse(l).trial).sort(), [0, 1, 2, 3, 4, 5]);
});
