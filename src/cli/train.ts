// `trunkline train`: single-task baselines and multi-task models on one seeded split,
// a per-task table with deltas, and a run directory (report, metrics, saved model).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataLoader, type EncodedDataset } from '../data/index.js';
import { evaluate, train, type EvaluationResult, type History, type MultiTaskModel } from '../mtl/index.js';
import { saveModel } from '../io/index.js';
import { manualSeed } from '../tensor/random.js';
import { baselinesEnabled, defaultConfig, type Architecture, type JobConfig } from './config.js';
import { describeMonitor, earlyStoppingFor, trainOptions } from './train-options.js';
import { buildModel } from './models.js';
import { prepareData, type PreparedData } from './prepare.js';
import { renderReport } from './report.js';
import { printSummary, regressionUnits } from './summary.js';
import { writeJson, writeRunDir } from './run-dir.js';

export interface TrainArgs {
  config: JobConfig;
  architectures: Architecture[];
  seeds: number[];
  outDir: string;
  /** Train only the single-task baselines (no multi-task model). */
  baselinesOnly?: boolean;
  progress: boolean | 'auto';
  log: (line: string) => void;
}

/** One trained model's record in metrics.json. */
export interface ModelRun {
  kind: 'single-task' | 'multi-task';
  architecture: Architecture;
  tasks: string[];
  seed: number;
  seconds: number;
  /** Trainable parameters. */
  parameters: number;
  /** What early stopping and the kept checkpoint followed, in words. */
  monitor: string;
  test: EvaluationResult;
  history: History;
}

export interface RunResult {
  dir: string;
  runs: ModelRun[];
}

/**
 * Each model gets loaders of its own, so its shuffles, and so its metrics, are the same
 * whether it is trained alone or after other models with the same seed.
 */
function loaders(p: PreparedData, config: JobConfig, seed: number) {
  const batchSize = config.training.batchSize ?? defaultConfig().training.batchSize;
  return {
    train: new DataLoader(p.train, { batchSize, shuffle: true, seed }),
    validation: new DataLoader(p.validation, { batchSize: 2048 }),
    test: new DataLoader(p.test, { batchSize: 2048 }),
  };
}

/** Builds, trains and tests one model on fresh loaders; the global generator is reseeded first. */
function trainOne(
  kind: ModelRun['kind'],
  architecture: Architecture,
  prepared: PreparedData,
  config: JobConfig,
  seed: number,
  args: TrainArgs,
  onlyTask?: string,
): { run: ModelRun; model: MultiTaskModel } {
  manualSeed(seed);
  const model = buildModel(architecture, prepared.train.featureSpecs, prepared.train.taskSpecs, config, onlyTask ? [onlyTask] : undefined);
  const tasks = model.tasks.map((t) => t.name);
  const weighting = onlyTask ? 'equal' : config.training.weighting ?? defaultConfig().training.weighting!;
  const parameters = model.numParameters();
  args.log(
    kind === 'single-task'
      ? `seed ${seed}: single-task ${onlyTask} (${parameters} parameters)`
      : `seed ${seed}: multi-task ${architecture} (${parameters} parameters, weighting ${weighting})`,
  );
  const data = loaders(prepared, config, seed);
  const options = trainOptions(config, { tasks, seed, validation: data.validation, progress: args.progress, weighting });
  const [history, seconds] = timed(() => train(model, data.train, options));
  const run: ModelRun = {
    kind,
    architecture,
    tasks,
    seed,
    seconds,
    parameters,
    monitor: describeMonitor(earlyStoppingFor(config, tasks)),
    test: evaluate(model, data.test),
    history,
  };
  return { run, model };
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
}

export async function runTrain(args: TrainArgs): Promise<RunResult> {
  const { config, log } = args;
  const runs: ModelRun[] = [];
  let saved: { model: MultiTaskModel; prepared: PreparedData; architecture: Architecture } | null = null;
  const started = performance.now();
  for (const seed of args.seeds) {
    const prepared = await prepareData(config, seed);
    if (seed === args.seeds[0]) {
      logData(prepared, log);
      // Build every architecture once up front, so a config that cannot work (ESMM
      // without its tasks, say) fails before anything trains.
      for (const architecture of args.architectures)
        buildModel(architecture, prepared.train.featureSpecs, prepared.train.taskSpecs, config);
    }
    if (baselinesEnabled(config) || args.baselinesOnly)
      for (const task of prepared.train.taskSpecs) runs.push(trainOne('single-task', 'shared-bottom', prepared, config, seed, args, task.name).run);
    if (args.baselinesOnly) continue;
    for (const architecture of args.architectures) {
      const { run, model } = trainOne('multi-task', architecture, prepared, config, seed, args);
      runs.push(run);
      if (!saved) saved = { model, prepared, architecture };
    }
  }
  const totalSeconds = (performance.now() - started) / 1000;
  const first = saved ?? null;
  printSummary(runs, config, log);

  const data = first ? dataSummary(first.prepared) : null;
  const finalDir = writeRunDir(args.outDir, (tmpDir) => {
    writeJson(join(tmpDir, 'metrics.json'), {
      format: 'trunkline.run',
      version: 1,
      createdAt: new Date().toISOString(),
      seconds: totalSeconds,
      data,
      config,
      units: regressionUnits(config),
      runs,
    });
    writeFileSync(join(tmpDir, 'report.html'), renderReport(runs, config, data));
    if (first) {
      saveModel(join(tmpDir, 'model'), {
        weights: first.model.stateDict(),
        config: { job: config, architecture: first.architecture },
        pipeline: first.prepared.pipeline,
      });
    }
  });
  log(`\nwrote ${finalDir}/ (report.html, metrics.json${first ? ', model/' : ''}) in ${totalSeconds.toFixed(0)} s`);
  return { dir: finalDir, runs };
}

export function dataSummary(p: PreparedData) {
  return {
    source: p.source,
    rows: { train: p.train.numRows, validation: p.validation.numRows, test: p.test.numRows },
    badRows: p.badRows,
    firstBadRow: p.firstBadRow,
    duplicateRows: p.cleaning.duplicateRows,
    features: p.train.featureSpecs,
    tasks: p.train.taskSpecs,
    warnings: [...(p.pipeline.warnings ?? [])],
  };
}

function logData(p: PreparedData, log: (s: string) => void): void {
  const feats = p.train.featureSpecs.map((f) => `${f.name}:${f.kind === 'numeric' ? 'num' : f.kind === 'categorical' ? `cat(${f.cardinality})` : f.kind}`);
  log(`data: ${p.source}`);
  log(`  rows: ${p.train.numRows} train / ${p.validation.numRows} validation / ${p.test.numRows} test` +
    `${p.badRows ? `, ${p.badRows} bad rows skipped (first: ${p.firstBadRow})` : ''}${p.cleaning.duplicateRows ? `, ${p.cleaning.duplicateRows} duplicates removed` : ''}`);
  log(`  features (${feats.length}): ${feats.join(' ')}`);
  log(`  tasks: ${p.train.taskSpecs.map((t) => `${t.name} (${t.type})`).join(', ')}`);
  for (const w of p.pipeline.warnings ?? []) log(`  ! ${w}`);
}

export type { EncodedDataset };
