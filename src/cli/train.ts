// `trunkline train`: single-task baselines and multi-task models on one seeded split,
// a per-task table with deltas, and a run directory (report, metrics, saved model).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataLoader, type EncodedDataset, type FeatureSpec, type TaskSpec } from '../data/index.js';
import { evaluate, evaluateConstant, train, type MultiTaskModel, type ProgressOption } from '../mtl/index.js';
import { saveModel } from '../io/index.js';
import { manualSeed } from '../tensor/random.js';
import { init as joinWorld, worldSize } from '../distributed/world.js';
import { dataParallel } from '../distributed/data-parallel.js';
import { markRankLocal } from '../distributed/sharding.js';
import { beats } from '../metrics/index.js';
import { engineInfo } from '../settings.js';
import { baselinesEnabled, type Architecture, type JobConfig } from './config.js';
import { describeMonitor, earlyStoppingFor, trainOptions } from './train-options.js';
import { buildModel } from './models.js';
import { prepareData, type PreparedData } from './prepare.js';
import { renderReport } from './report.js';
import { printSummary, regressionUnits } from './summary.js';
import { writeJson, writeRunDir } from './run-dir.js';
import type { DataSummary, ModelRun, RunResult } from './run-record.js';

export interface TrainArgs {
  config: JobConfig;
  architectures: Architecture[];
  seeds: number[];
  outDir: string;
  /** Train only the single-task baselines (no multi-task model). */
  baselinesOnly?: boolean;
  progress: ProgressOption;
  log: (line: string) => void;
}

/**
 * Each model gets loaders of its own, so its shuffles, and so its metrics, are the same
 * whether it is trained alone or after other models with the same seed.
 */
function loaders(p: PreparedData, config: JobConfig, seed: number) {
  const batchSize = config.training.batchSize;
  const made = {
    train: new DataLoader(p.train, { batchSize, shuffle: true, seed }),
    validation: new DataLoader(p.validation, { batchSize: 2048 }),
    test: new DataLoader(p.test, { batchSize: 2048 }),
  };
  // Distributed, each rank read its share: its loaders hold its own rows, all of which it trains on and evaluates.
  if (p.rankShare) Object.values(made).forEach((l) => markRankLocal(l));
  return made;
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
  // A single-task model has one loss: there is nothing to weigh.
  const weighting = onlyTask ? 'equal' : config.training.weighting;
  const parameters = model.numParameters();
  args.log(
    kind === 'single-task'
      ? `seed ${seed}: single-task ${onlyTask} (${parameters} parameters)`
      : `seed ${seed}: multi-task ${architecture} (${parameters} parameters, weighting ${weighting})`,
  );
  const data = loaders(prepared, config, seed);
  // Data-parallel under an MPI launcher (mpirun -np N npx trunkline train ...); a no-op alone.
  const options = { ...trainOptions(config, { tasks, seed, validation: data.validation, progress: args.progress, weighting }), distributed: true };
  const [history, seconds] = timed(() => train(model, data.train, options));
  const run: ModelRun = {
    kind,
    architecture,
    tasks,
    seed,
    seconds,
    parameters,
    monitor: describeMonitor(earlyStoppingFor(config, tasks)),
    test: evaluate(model, data.test, prepared.rankShare ? { dataParallel: dataParallel(true) } : {}),
    ...(worldSize() === 1 ? { constant: evaluateConstant(model.tasks, prepared.train.labels, prepared.test.labels) } : {}),
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
  // Under an MPI launcher every rank trains; only rank 0 logs and writes the run directory.
  const { rank, worldSize } = joinWorld();
  if (rank > 0) args = { ...args, log: () => {}, progress: false };
  const { config, log } = args;
  if (worldSize > 1) log(`data-parallel training on ${worldSize} ranks (gradients averaged; rank 0 logs and writes the run)`);
  const runs: ModelRun[] = [];
  // Per architecture, the seed whose kept checkpoint scored best on validation.
  const saved = new Map<Architecture, SavedModel>();
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
      const value = run.history.best?.value ?? NaN;
      const metric = run.history.best?.metric ?? 'loss';
      const current = saved.get(architecture);
      if (!current || !Number.isFinite(current.value) || beats(metric, value, current.value))
        saved.set(architecture, { model, prepared, architecture, seed, value, metric, monitor: run.monitor, dir: '' });
    }
  }
  const totalSeconds = (performance.now() - started) / 1000;
  printSummary(runs, config, log);

  // The first architecture's model is model/, as a single-model run has it; others go to models/<architecture>/.
  const kept = [...saved.values()];
  kept.forEach((k, i) => (k.dir = i === 0 ? 'model' : join('models', k.architecture)));
  const first = kept[0] ?? null;
  const data = first ? dataSummary(first.prepared) : null;
  if (rank > 0) return { dir: '', runs };
  const finalDir = writeRunDir(args.outDir, (tmpDir) => {
    writeJson(join(tmpDir, 'metrics.json'), {
      format: 'trunkline.run',
      version: 1,
      createdAt: new Date().toISOString(),
      seconds: totalSeconds,
      engine: engineInfo(),
      data,
      config,
      units: regressionUnits(config),
      savedModels: kept.map((k) => ({ dir: k.dir, architecture: k.architecture, seed: k.seed, validation: k.value, monitor: k.monitor })),
      runs,
    });
    writeFileSync(join(tmpDir, 'report.html'), renderReport(runs, config, data));
    for (const k of kept)
      saveModel(join(tmpDir, k.dir), {
        weights: k.model.stateDict(),
        config: { job: config, architecture: k.architecture },
        pipeline: k.prepared.pipeline,
      });
  });
  if (args.seeds.length > 1 || kept.length > 1)
    for (const k of kept)
      log(`${k.dir}/: ${k.architecture}, seed ${k.seed}${args.seeds.length > 1 ? ` (the best of ${args.seeds.length} seeds on validation ${k.metric}: ${k.value.toFixed(4)})` : ''}`);
  log(`\nwrote ${finalDir}/ (report.html, metrics.json${kept.map((k) => `, ${k.dir}/`).join('')}) in ${totalSeconds.toFixed(0)} s`);
  return { dir: finalDir, runs };
}

interface SavedModel {
  model: MultiTaskModel;
  prepared: PreparedData;
  architecture: Architecture;
  seed: number;
  /** The kept checkpoint's validation value on the early-stopping monitor. */
  value: number;
  /** The early-stopping metric ('score', 'loss', ...) and the monitor in words. */
  metric: string;
  monitor: string;
  /** Where in the run directory it is written. */
  dir: string;
}

/** Items joined by spaces and wrapped at `width`, with at most `max` shown and the rest counted. */
export function foldList(items: readonly string[], indent: string, width = 100, max = 40): string {
  const shown = items.length > max ? [...items.slice(0, max), `... and ${items.length - max} more (all in metrics.json)`] : items;
  const lines: string[] = [];
  let line = '';
  for (const it of shown) {
    if (line && indent.length + line.length + 1 + it.length > width) {
      lines.push(line);
      line = it;
    } else line = line ? `${line} ${it}` : it;
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}

/** metrics.json's record of the data: what the report shows, and the features, tasks and warnings. */
export function dataSummary(p: PreparedData): DataSummary & { features: FeatureSpec[]; tasks: TaskSpec[]; warnings: string[] } {
  return {
    source: p.source,
    rows: p.rankShare?.rows ?? { train: p.train.numRows, validation: p.validation.numRows, test: p.test.numRows },
    badRows: p.badRows,
    firstBadRow: p.firstBadRow,
    duplicateRows: p.cleaning.duplicateRows,
    features: p.train.featureSpecs,
    tasks: p.train.taskSpecs,
    warnings: p.warnings,
  };
}

function logData(p: PreparedData, log: (s: string) => void): void {
  const feats = p.train.featureSpecs.map((f) => `${f.name}:${f.kind === 'numeric' ? 'num' : f.kind === 'categorical' ? `cat(${f.cardinality})` : f.kind}`);
  log(`data: ${p.source}`);
  const rows = p.rankShare?.rows ?? { train: p.train.numRows, validation: p.validation.numRows, test: p.test.numRows };
  if (p.rankShare)
    log(`  each rank reads its share (${p.rankShare.mode === 'files' ? 'whole files' : 'a row range of each file'}) and trains on its own rows; training rows per rank: ${p.rankShare.trainRowsPerRank.join(', ')}`);
  else if (worldSize() > 1) log(`  every rank reads the data; rank r trains on batches r, r + ${worldSize()}, ... of a common order`);
  log(`  rows: ${rows.train} train / ${rows.validation} validation / ${rows.test} test` +
    `${p.badRows ? `, ${p.badRows} bad rows skipped (first: ${p.firstBadRow})` : ''}${p.cleaning.duplicateRows ? `, ${p.cleaning.duplicateRows} duplicates removed` : ''}`);
  log(`  features (${feats.length}): ${foldList(feats, '    ')}`);
  log(`  tasks: ${p.train.taskSpecs.map((t) => `${t.name} (${t.type})`).join(', ')}`);
  for (const w of p.warnings) log(`  ! ${w}`);
}

export type { EncodedDataset };
