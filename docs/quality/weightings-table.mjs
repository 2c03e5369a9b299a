// Prints the README's "Every weighting method on Bank + balance" table from the runs
// docs/quality/weightings-run.sh wrote under runs/weightings/ (run `npm run build` first).
//   node docs/quality/weightings-table.mjs
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metrics } from '../../dist/index.js';

const root = 'runs/weightings';
const WEIGHTINGS = ['equal', 'fixed', 'mean', 'max', 'uncertainty', 'gradnorm', 'gradnorm-full', 'dwa', 'rlw', 'famo', 'pcgrad', 'gradvac', 'graddrop', 'mgda', 'cagrad', 'nash-mtl', 'imtl', 'imtl-g', 'aligned-mtl', 'db-mtl'];

/** The newest run directory's metrics.json under runs/weightings/<name>. */
function record(name) {
  const dirs = readdirSync(join(root, name)).sort();
  return JSON.parse(readFileSync(join(root, name, dirs.at(-1), 'metrics.json'), 'utf8'));
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
// Sample standard deviation (n - 1), as the train summary reports it.
const std = (xs) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const cell = (xs, digits) => `${mean(xs).toFixed(digits)} ± ${std(xs).toFixed(digits)}`;
const test = (runs, task, metric) => runs.filter((r) => r.tasks.includes(task)).map((r) => r.test.metrics[task][metric]);

/** Milliseconds per training step: epoch time (validation excluded) over the epoch's batches, over every run. */
function msPerStep(m) {
  const batch = m.config.training.batchSize;
  let seconds = 0, steps = 0;
  for (const r of m.runs)
    for (const e of r.history.epochs) {
      seconds += e.seconds;
      steps += Math.ceil(e.samples / batch);
    }
  return (seconds / steps) * 1e3;
}

const base = record('base').runs;
const single = { y: { auc: mean(test(base, 'y', 'auc')) }, balance: { rmse: mean(test(base, 'balance', 'rmse')) } };
console.log('| weighting | y AUC | balance RMSE | balance score | Δm | ms per step (vs equal) |');
console.log('|---|---|---|---|---|---|');
console.log(`| single-task | ${cell(test(base, 'y', 'auc'), 3)} | ${cell(test(base, 'balance', 'rmse'), 0)} | ${cell(test(base, 'balance', 'score'), 3)} | | |`);
const equalMs = msPerStep(record('equal'));
for (const w of WEIGHTINGS) {
  const m = record(w);
  const runs = m.runs;
  const multi = { y: { auc: mean(test(runs, 'y', 'auc')) }, balance: { rmse: mean(test(runs, 'balance', 'rmse')) } };
  const dm = metrics.multiTaskGain(multi, single).deltaM;
  const ms = msPerStep(m);
  console.log(`| ${w} | ${cell(test(runs, 'y', 'auc'), 3)} | ${cell(test(runs, 'balance', 'rmse'), 0)} | ${cell(test(runs, 'balance', 'score'), 3)} | ${dm >= 0 ? '+' : ''}${dm.toFixed(2)}% | ${ms.toFixed(2)} (${(ms / equalMs).toFixed(2)}x) |`);
}
