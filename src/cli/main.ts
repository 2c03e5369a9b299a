#!/usr/bin/env node
// The trunkline command line: train | eval | predict | rehash | bench | tune.
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { ARCHITECTURES, defaultConfig, loadConfig, validateConfig, type Architecture } from './config.js';
import { runTrain } from './train.js';
import { runEval, runPredict } from './predict.js';
import { runResume } from './resume.js';
import { checkOutDir } from './run-dir.js';
import { superviseChild } from './interrupt.js';
import { rehashModel } from '../io/index.js';
import { modelDir } from './saved.js';
import { registerServeCommands } from '../serve/cli.js';
import { positiveIntArg } from './arg-parsers.js';

const log = (line: string): void => console.log(line);

/** package.json's version: two levels up from both src/cli/ and dist/cli/. */
function packageVersion(): string {
  return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
}

function seedList(value: string): number[] {
  const items = value.split(',').map((s) => s.trim());
  // Number('') is 0: an empty item must not quietly become seed 0.
  if (items.some((s) => s === '' || !Number.isInteger(Number(s)))) throw new InvalidArgumentError(`expected comma-separated integers, got '${value}'`);
  const out = items.map(Number);
  const repeated = out.filter((n, i) => out.indexOf(n) !== i);
  if (repeated.length) throw new InvalidArgumentError(`seed ${repeated[0]} is given twice in '${value}' (a repeated seed repeats the same run and understates the spread)`);
  return out;
}

function columnList(value: string): string[] {
  const out = value.split(',').map((s) => s.trim());
  if (out.some((s) => s === '')) throw new InvalidArgumentError(`expected comma-separated column names, got '${value}'`);
  return out;
}

function archList(value: string): Architecture[] {
  const out = value.split(',').map((s) => s.trim()) as Architecture[];
  for (const a of out) if (!ARCHITECTURES.includes(a)) throw new InvalidArgumentError(`unknown architecture '${a}' (known: ${ARCHITECTURES.join(', ')})`);
  return out;
}


const program = new Command();
program.name('trunkline').description('Multi-task learning on a native tensor engine').version(packageVersion()).showHelpAfterError();

program
  .command('train')
  .description('train single-task baselines and a multi-task model; write runs/<timestamp>/ (report.html, metrics.json, model/)')
  .option('--data <csv>', 'training CSV (gzip allowed); default: the embedded UCI Bank Marketing data')
  .option('--config <json>', 'job config (tasks, features, model, training); see README')
  .option('--arch <names>', `multi-task architecture(s), comma-separated: ${ARCHITECTURES.join(', ')}`, archList)
  .option('--weighting <name>', 'loss weighting: fixed, equal, mean, max, uncertainty, dwa, rlw, famo, gradnorm, gradnorm-full, pcgrad, gradvac, graddrop, mgda, cagrad, nash-mtl, imtl, imtl-g, aligned-mtl, db-mtl')
  .option('--seeds <list>', 'seeds, comma-separated (results are reported as mean ± std)', seedList)
  .option('--epochs <n>', 'maximum epochs (early stopping may end sooner)', positiveIntArg)
  .option('--no-baselines', 'skip the single-task baselines')
  .option('--baselines-only', 'train only the single-task baselines (no multi-task model)')
  .option('--resume <run>', 'continue a saved run (runs/<id>) on --data with its vocabularies')
  .option('--out <dir>', 'where run directories go', 'runs')
  .option('--no-progress', 'plain log lines instead of a progress bar')
  .action(async (opts) => {
    // Ctrl-C: the work runs in a supervised child, so the terminal and the run directory are cleaned up.
    const supervised = await superviseChild(opts.out, log);
    if (supervised !== null) {
      process.exitCode = supervised;
      return;
    }
    const progress = opts.progress === false ? 'lines' : true; // a bar on a terminal, else a line per epoch
    if (opts.resume) {
      // A resumed run keeps the saved architecture, weighting and config: refuse what it cannot honour.
      const refused = [
        ...(opts.arch ? ['--arch'] : []),
        ...(opts.weighting ? ['--weighting'] : []),
        ...(opts.config ? ['--config'] : []),
        ...(opts.baselinesOnly ? ['--baselines-only'] : []),
        ...(opts.seeds && opts.seeds.length > 1 ? ['--seeds with more than one seed'] : []),
      ];
      if (refused.length)
        throw new Error(`train --resume cannot honour ${refused.join(', ')}: a resumed run keeps the saved model's architecture, weighting and config (it takes --data, --epochs, one --seeds, --out, --no-progress)`);
      if (!opts.data) throw new Error('train --resume needs --data with the new rows');
      await runResume({ from: opts.resume, data: opts.data, outDir: opts.out, epochs: opts.epochs, seed: opts.seeds?.[0] ?? 1, progress, log });
      return;
    }
    // Before any data is read: a run that cannot be saved must not train first.
    checkOutDir(opts.out);
    const config = opts.config ? loadConfig(opts.config) : defaultConfig();
    if (opts.data) {
      config.data.path = opts.data;
      if (!opts.config) config.data.drop = [];
    }
    if (opts.epochs) config.training.epochs = opts.epochs;
    if (opts.weighting) config.training.weighting = opts.weighting;
    if (opts.baselines === false && opts.baselinesOnly) throw new Error('train: --no-baselines and --baselines-only contradict each other');
    if (opts.baselines === false) config.baselines = false;
    if (opts.data && !opts.config) throw new Error('train --data needs --config naming the tasks (see README: "Your own data")');
    validateConfig(config, opts.config ?? 'command line');
    const architectures: Architecture[] = opts.arch ?? [config.model.architecture];
    await runTrain({ config, architectures, seeds: opts.seeds ?? [config.training.seed], outDir: opts.out, baselinesOnly: Boolean(opts.baselinesOnly), progress, log });
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
  .requiredOption('--out <csv>', 'where to write the predictions (an existing file only with --force)')
  .option('--force', 'overwrite --out if it exists')
  .option('--keep <columns>', 'input columns copied to the output as they are (ids), comma-separated', columnList)
  .option('--top-k <k>', 'multiclass tasks: the k most likely classes and their probabilities', positiveIntArg)
  .action(async (opts) => {
    await runPredict({ model: opts.model, data: opts.data, out: opts.out, force: opts.force === true, keep: opts.keep, topK: opts.topK, log });
  });

program
  .command('rehash')
  .description("re-record the checksum of a model's weights after editing them on purpose (in Python, say)")
  .requiredOption('--model <run>', 'a run directory (runs/<id>) or its model/ directory')
  .action((opts) => {
    const dir = modelDir(opts.model);
    const r = rehashModel(dir);
    const converted = Object.keys(r.conversions).length;
    log(`recorded the checksum of ${dir}/weights.safetensors (${r.bytes} bytes, ${r.tensors} tensors${converted ? `, ${converted} stored in another dtype and converted on load: ${[...new Set(Object.values(r.conversions))].join('; ')}` : ''})`);
  });

program
  .command('bench')
  .description('run the benchmark suite (same as npm run bench)')
  .allowUnknownOption()
  .action(async () => {
    const { runBenchCli } = await import('./bench.js');
    await runBenchCli(process.argv.slice(3));
  });

program
  .command('tune')
  .description('without --space: time the matrix-multiply kernels on this CPU and record the fastest in the tuning cache; with --space: a hyper-parameter search (docs/tune.md)')
  .option('--space <json>', 'search space: config paths and their values (docs/tune.md); without it, tune times the gemm kernels')
  .option('--config <json>', 'job config the trials start from (default: the Bank job)')
  .option('--data <csv>', 'training data (overrides data.path)')
  .option('--trials <n>', 'trials in all, trial 0 (the config as given) included (default 20)')
  .option('--parallel <n>', 'worker processes, each with floor(cores / n) threads (default 1)')
  .option('--search <kind>', 'random (default), grid or tpe')
  .option('--asha', 'successive halving (ASHA): stop trials that are not in the top 1/eta at a rung')
  .option('--asha-min-epochs <n>', 'the first rung in epochs (default 1)')
  .option('--asha-eta <n>', 'the reduction factor (default 3)')
  .option('--objective <spec>', "what picks the best trial: mean (default), a task, or 'task=w,task=w'")
  .option('--seed <n>', 'seed of the sampler and of every trial (default 1)')
  .option('--out <dir>', 'where search directories go', 'runs')
  .option('--resume <dir>', 'continue a search (runs/tune-<id>): its finished trials are kept')
  .action(async (opts) => {
    if (!opts.space && !opts.resume) {
      const given = ['config', 'data', 'trials', 'parallel', 'search', 'asha', 'ashaMinEpochs', 'ashaEta', 'objective', 'seed'].filter((k) => opts[k] !== undefined);
      if (given.length) throw new Error(`tune: --${given[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is a search option: give --space too (docs/tune.md); 'trunkline tune' alone times the gemm kernels`);
      const { retuneGemm } = await import('../settings.js');
      const r = retuneGemm();
      log(`${r.cpu}: times of a 96x256x768 product on one thread, best of four`);
      for (const c of r.candidates) log(`  ${c.name.padEnd(16)} ${(c.seconds * 1e3).toFixed(3)} ms${c.name === r.kernel ? '  <- chosen' : ''}`);
      log(r.cache ? `recorded in ${r.cache}` : 'not recorded: no cache directory (set XDG_CACHE_HOME or HOME)');
      return;
    }
    const { runTune } = await import('./tune.js');
    await runTune({ ...opts, log });
  });

registerServeCommands(program, log);

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`trunkline: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
