// `train --resume` under mpirun -np 2: it continues a distributed run (every rank loads the
// same checkpoint; rank 0 alone writes), and after a rank is killed mid-epoch the run it
// resumed from is intact (it loads, its checksum matches) and resuming from it again works.
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/io/index.js';
import { CLI_MAIN, launch, mpiTest, rankPid } from './helpers/distributed-launch.js';
import { shopConfig, shopRows, toCsv } from './helpers/cli-fixtures.js';
import { tempDir } from './helpers/tmp.js';

/** 4 CSV shards of the shop data, a job that trains without early stopping, and a first distributed run. */
async function setUp(t: { is: (a: unknown, b: unknown, m?: string) => void }) {
  const dir = tempDir();
  const parts = join(dir, 'parts');
  mkdirSync(parts);
  const rows = shopRows(1200, 11);
  for (let k = 0; k < 4; k++) writeFileSync(join(parts, `part-${k}.csv`), toCsv(rows.slice(k * 300, (k + 1) * 300)));
  const config = shopConfig({ epochs: 2 });
  config.training.patience = 10_000;
  writeFileSync(join(dir, 'job.json'), JSON.stringify(config));
  const first = await launch(2, CLI_MAIN, ['train', '--data', parts, '--config', join(dir, 'job.json'), '--out', join(dir, 'runs'), '--no-progress']);
  t.is(first.code, 0, first.output);
  const runs = readdirSync(join(dir, 'runs'));
  t.is(runs.length, 1, 'rank 0 alone wrote a run');
  return { dir, parts, run: join(dir, 'runs', runs[0]) };
}

const fileHashes = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));
const resumeArgs = (run: string, parts: string, out: string, epochs: number) => ['train', '--resume', run, '--data', parts, '--out', out, '--epochs', String(epochs), '--no-progress'];

mpiTest('train --resume under mpirun -np 2 continues a distributed run: the same validation rows as one process, rank 0 alone writes', async (t) => {
  const { dir, parts, run } = await setUp(t);
  const two = await launch(2, CLI_MAIN, resumeArgs(run, parts, join(dir, 'resumed2'), 2));
  t.is(two.code, 0, two.output);
  const one = await launch(0, CLI_MAIN, resumeArgs(run, parts, join(dir, 'resumed1'), 2));
  t.is(one.code, 0, one.output);
  const written = readdirSync(join(dir, 'resumed2'));
  t.is(written.length, 1, 'one run directory');
  const metrics = (d: string) => JSON.parse(readFileSync(join(d, readdirSync(d)[0], 'metrics.json'), 'utf8'));
  const [m2, m1] = [metrics(join(dir, 'resumed2')), metrics(join(dir, 'resumed1'))];
  t.is(m2.format, 'trunkline.resume');
  t.is(m2.resumedFrom, m1.resumedFrom);
  // The starting weights scored on the held-out rows: the same rows, split by global row
  // index, and the same model (losses summed over the ranks differ in the last digits).
  for (const task of Object.keys(m1.before.metrics))
    for (const [k, v] of Object.entries(m1.before.metrics[task] as Record<string, number>))
      t.true(Math.abs(m2.before.metrics[task][k] - v) <= 1e-7 * Math.max(1, Math.abs(v)), `before ${task} ${k}: ${m2.before.metrics[task][k]} vs ${v}`);
  t.deepEqual(m2.before.rows, m1.before.rows);
  t.notThrows(() => loadModel(join(dir, 'resumed2', written[0], 'model')));
});

mpiTest('a rank killed mid-epoch of a distributed resume: the run it resumed from is intact, nothing is written, and resuming again works', async (t) => {
  const { dir, parts, run } = await setUp(t);
  const before = fileHashes(join(run, 'model'));
  let killed = 0;
  const r = await launch(2, CLI_MAIN, resumeArgs(run, parts, join(dir, 'resumed'), 100_000), 120_000, {}, (output, mpirun) => {
    // Past a few epochs, kill rank 1 outright (as the out-of-memory killer would).
    if (killed || !/^epoch 3 /m.test(output)) return;
    const pid = rankPid(mpirun, 1);
    if (pid) {
      killed = pid;
      process.kill(pid, 'SIGKILL');
    }
  });
  t.true(killed > 0, `rank 1 was found and killed:\n${r.output}`);
  t.not(r.code, 0, r.output);
  t.regex(r.output, /process rank 1 .*exited on signal 9/);
  t.true(!existsSync(join(dir, 'resumed')) || readdirSync(join(dir, 'resumed')).length === 0, 'nothing written for the killed run');
  // The checkpoint resumed from: the same bytes, and it loads (the loader checks the weights' sha256 against config.json).
  t.deepEqual(fileHashes(join(run, 'model')), before);
  t.notThrows(() => loadModel(join(run, 'model')));
  const again = await launch(2, CLI_MAIN, resumeArgs(run, parts, join(dir, 'resumed'), 2));
  t.is(again.code, 0, again.output);
  t.is(readdirSync(join(dir, 'resumed')).length, 1);
});

test('resume tests are registered', (t) => t.pass());
