#!/usr/bin/env node
// The trunkline command line: train | eval | predict | bench.
import { Command, InvalidArgumentError } from 'commander';
import { ARCHITECTURES, defaultConfig, loadConfig, validateConfig, type Architecture } from './config.js';
import { runTrain } from './train.js';
import { runEval, runPredict } from './predict.js';
import { runResume } from './resume.js';

const log = (line: string): void => console.log(line);

function intList(value: string): number[] {
  const out = value.split(',').map((s) => Number(s.trim()));
  if (!out.length || out.some((n) => !Number.isInteger(n))) throw new InvalidArgumentError(`expected comma-separated integers, got '${value}'`);
  return out;
}

function archList(value: string): Architecture[] {
  const out = value.split(',').map((s) => s.trim()) as Architecture[];
  for (const a of out) if (!ARCHITECTURES.includes(a)) throw new InvalidArgumentError(`unknown architecture '${a}' (known: ${ARCHITECTURES.join(', ')})`);
  return out;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}

const program = new Command();
program.name('trunkline').description('Multi-task learning on a native tensor engine').showHelpAfterError();

program
  .command('train')
  .description('train single-task baselines and a multi-task model; write runs/<timestamp>/ (report.html, metrics.json, model/)')
  .option('--data <csv>', 'training CSV (gzip allowed); default: the embedded UCI Bank Marketing data')
  .option('--config <json>', 'job config (tasks, features, model, training); see README')
  .option('--arch <names>', `multi-task architecture(s), comma-separated: ${ARCHITECTURES.join(', ')}`, archList)
  .option('--weighting <name>', 'loss weighting: fixed, equal, mean, max, uncertainty, gradnorm, dwa, pcgrad')
  .option('--seeds <list>', 'seeds, comma-separated (results are reported as mean ± std)', intList)
  .option('--epochs <n>', 'maximum epochs (early stopping may end sooner)', positiveInt)
  .option('--no-baselines', 'skip the single-task baselines')
  .option('--resume <run>', 'continue a saved run (runs/<id>) on --data with its vocabularies')
  .option('--out <dir>', 'where run directories go', 'runs')
  .option('--no-progress', 'plain log lines instead of a progress bar')
  .action(async (opts) => {
    const progress = opts.progress === false ? false : 'auto';
    if (opts.resume) {
      if (!opts.data) throw new Error('train --resume needs --data with the new rows');
      await runResume({ from: opts.resume, data: opts.data, outDir: opts.out, epochs: opts.epochs, seed: opts.seeds?.[0] ?? 1, progress, log });
      return;
    }
    const config = opts.config ? loadConfig(opts.config) : defaultConfig();
    if (opts.data) {
      config.data.path = opts.data;
      if (!opts.config) config.data.drop = [];
    }
    if (opts.epochs) config.training.epochs = opts.epochs;
    if (opts.weighting) config.training.weighting = opts.weighting;
    if (opts.baselines === false) config.baselines = false;
    if (opts.data && !opts.config) throw new Error('train --data needs --config naming the tasks (see README: "Your own data")');
    validateConfig(config, opts.config ?? 'command line');
    const architectures: Architecture[] = opts.arch ?? [config.model.architecture ?? 'mmoe'];
    await runTrain({ config, architectures, seeds: opts.seeds ?? [config.training.seed ?? 1], outDir: opts.out, progress, log });
  });

program
  .command('eval')
  .description('evaluate a saved model on a labelled CSV')
  .requiredOption('--model <run>', 'a run directory (runs/<id>) or its model/ directory')
  .requiredOption('--data <csv>', 'labelled CSV with the same columns as the training data')
  .action(async (opts) => {
    await runEval({ model: opts.model, data: opts.data, log });
  });

program
  .command('predict')
  .description('predict every task for the rows of a CSV')
  .requiredOption('--model <run>', 'a run directory (runs/<id>) or its model/ directory')
  .requiredOption('--data <csv>', 'CSV with the feature columns (labels not needed)')
  .requiredOption('--out <csv>', 'where to write the predictions')
  .action(async (opts) => {
    await runPredict({ model: opts.model, data: opts.data, out: opts.out, log });
  });

program
  .command('bench')
  .description('run the benchmark suite (same as npm run bench)')
  .allowUnknownOption()
  .action(async () => {
    const { runBenchCli } = await import('./bench.js');
    await runBenchCli(process.argv.slice(3));
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`trunkline: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
