// `trunkline train`: single-task baselines and multi-task models on one seeded split,
// a per-task table with deltas, and a run directory (report, metrics, saved model).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataLoader, type EncodedDataset } from '../data/index.js';
import { evaluate, train, type EvaluationResult, type History, type MultiTaskModel } from '../mtl/index.js';
import { saveModel } from '../io/index.js';
import { manualSeed } from '../tensor/random.js';
import type { Architecture, JobConfig } from './config.js';
import { buildModel } from './models.js';
import { prepareData, type PreparedData } from './prepare.js';
import { renderReport } from './report.js';
import { printSummary } from './summary.js';
import { writeJson, writeRunDir } from './run-dir.js';

export interface TrainArgs {
  config: JobConfig;
  architectures: Architecture[];
  seeds: number[];
  outDir: string;
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
  test: EvaluationResult;
  history: History;
}

export interface RunResult {
  dir: string;
  runs: ModelRun[];
}

/** The metric that decides early stopping and the headline: AUC for binary tasks, else loss. */
export function monitorMetric(config: JobConfig): string {
  return config.tasks.every((t) => t.type === 'binary') ? 'auc' : 'loss';
}

function loaders(p: PreparedData, config: JobConfig, seed: number) {
  const batchSize = config.training.batchSize ?? 256;
  return {
    train: new DataLoader(p.train, { batchSize, shuffle: true, seed }),
    validation: new DataLoader(p.validation, { batchSize: 2048 }),
    test: new DataLoader(p.test, { batchSize: 2048 }),
  };
}

function fit(model: MultiTaskModel, data: ReturnType<typeof loaders>, config: JobConfig, seed: number, progress: boolean | 'auto', weighting?: string): History {
  return train(model, data.train, {
    epochs: config.training.epochs ?? 15,
    lr: config.training.lr ?? 1e-3,
    weighting: weighting ?? config.training.weighting ?? 'equal',
    validation: data.validation,
    earlyStopping: { monitor: 'mean', metric: monitorMetric(config), patience: config.training.patience ?? 3 },
    seed,
    progress,
  });
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
    const data = loaders(prepared, config, seed);
    if (config.baselines !== false) {
      for (const task of prepared.train.taskSpecs) {
        manualSeed(seed);
        const model = buildModel('shared-bottom', prepared.train.featureSpecs, prepared.train.taskSpecs, config, [task.name]);
        log(`seed ${seed}: single-task ${task.name} (${model.numParameters()} parameters)`);
        const [history, seconds] = timed(() => fit(model, data, config, seed, args.progress, 'equal'));
        runs.push({ kind: 'single-task', architecture: 'shared-bottom', tasks: [task.name], seed, seconds, test: evaluate(model, data.test), history });
      }
    }
    for (const architecture of args.architectures) {
      manualSeed(seed);
      const model = buildModel(architecture, prepared.train.featureSpecs, prepared.train.taskSpecs, config);
      log(`seed ${seed}: multi-task ${architecture} (${model.numParameters()} parameters, weighting ${config.training.weighting ?? 'equal'})`);
      const [history, seconds] = timed(() => fit(model, data, config, seed, args.progress));
      runs.push({ kind: 'multi-task', architecture, tasks: model.tasks.map((t) => t.name), seed, seconds, test: evaluate(model, data.test), history });
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
  };
}

function logData(p: PreparedData, log: (s: string) => void): void {
  const feats = p.train.featureSpecs.map((f) => `${f.name}:${f.kind === 'numeric' ? 'num' : f.kind === 'categorical' ? `cat(${f.cardinality})` : f.kind}`);
  log(`data: ${p.source}`);
  log(`  rows: ${p.train.numRows} train / ${p.validation.numRows} validation / ${p.test.numRows} test` +
    `${p.badRows ? `, ${p.badRows} bad rows skipped (first: ${p.firstBadRow})` : ''}${p.cleaning.duplicateRows ? `, ${p.cleaning.duplicateRows} duplicates removed` : ''}`);
  log(`  features (${feats.length}): ${feats.join(' ')}`);
  log(`  tasks: ${p.train.taskSpecs.map((t) => `${t.name} (${t.type})`).join(', ')}`);
}

export type { EncodedDataset };
