// `trunkline train --resume runs/<id> --data new.csv`: continue a saved model on new
// rows with the same vocabularies and scalers, and save it as a new run. The starting
// weights are scored on the validation rows first and kept unless an epoch beats them,
// so resuming never saves a model worse (on validation) than the one it started from.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataLoader, randomSplit, splitTable, type Split } from '../data/index.js';
import { dataParallel } from '../distributed/data-parallel.js';
import { localSplit, together } from '../distributed/sharded-input.js';
import { gatherJson } from '../distributed/collectives.js';
import { markRankLocal } from '../distributed/sharding.js';
import { init as joinWorld } from '../distributed/world.js';
import { evaluate, monitoredValue, train, type ProgressOption } from '../mtl/index.js';
import { saveModel } from '../io/index.js';
import { beats, metricDirection } from '../metrics/index.js';
import { manualSeed } from '../tensor/random.js';
import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { loadRun, logConversions, warnInvalidNumbers } from './saved.js';
import { formatTable, plural } from './summary.js';
import { readResumeRows, readResumeShare } from './resume-data.js';
import { describeMonitor, earlyStoppingFor, trainOptions } from './train-options.js';
import { renderReport } from './report.js';
import { checkOutDir, writeJson, writeRunDir } from './run-dir.js';
import { parseJobConfig } from './config.js';
import type { DataSummary, ModelRun } from './run-record.js';
import { clone } from '../ops/core.js';
import { engineInfo } from '../settings.js';

export interface ResumeArgs {
  from: string;
  data: string;
  outDir: string;
  epochs?: number;
  seed: number;
  progress: ProgressOption;
  log: (s: string) => void;
}


export async function runResume(args: ResumeArgs): Promise<string> {
  // Under an MPI launcher every rank loads the same run and trains; rank 0 alone logs and writes.
  const { rank, worldSize } = joinWorld();
  if (rank > 0) args = { ...args, log: () => {}, progress: false };
  checkOutDir(args.outDir);
  const started = performance.now();
  const run = loadRun(args.from);
  logConversions(run, args.log);
  // The saved job with the schema's defaults, for runs saved before a field had one.
  const job = parseJobConfig(run.config.job, join(run.dir, 'config.json'));
  // Distributed, each rank reads its share of CSV or Parquet rows.
  const share = worldSize > 1 ? await readResumeShare(args.data, run.pipeline, { rank, size: worldSize }) : null;
  const table = share?.table ?? (await readResumeRows(args.data, run.pipeline, args.log));
  const bad = share ? { badRows: share.badRows, badRowSamples: share.badRowSamples, file: share.allFiles.length > 1 ? args.data : share.allFiles[0].file } : table.report;
  if (bad?.badRows) args.log(`${bad.badRows} bad rows skipped (first: ${bad.file} line ${bad.badRowSamples[0].line}: ${bad.badRowSamples[0].message})`);
  warnInvalidNumbers(table, run.pipeline, args.log);
  const splitOptions = { validation: 0.1, test: 0, seed: args.seed };
  // A row's part is the one a single process gives it: the split of every row, by its global index.
  const split: Split = share ? localSplit(randomSplit(share.totalRows, splitOptions), share.totalRows, share.globalIndex) : randomSplit(table.numRows, splitOptions);
  const parts = splitTable(table, split);
  const encode = () => [parts.train, parts.validation].map((t) => run.pipeline.transform(t));
  // Distributed, a rank whose rows cannot be encoded stops every rank with its message.
  const [trainData, validData] = share ? await together(encode) : encode();
  const [trainRows, validRows] = share ? gatherJson([trainData.numRows, validData.numRows]).reduce((a, c) => [a[0] + c[0], a[1] + c[1]], [0, 0]) : [trainData.numRows, validData.numRows];
  if (!validRows) throw new Error(`${args.data}: too few rows (${share?.totalRows ?? table.numRows}) to hold out validation rows for judging the resumed model`);
  if (share && trainRows < worldSize) throw new Error(`${args.data}: ${trainRows} training ${trainRows === 1 ? 'row' : 'rows'} for ${worldSize} ranks; every rank needs at least one training row`);
  const rankLocal = <T extends object>(l: T): T => (share ? markRankLocal(l) : l);
  const validation = rankLocal(new DataLoader(validData, { batchSize: 2048 }));
  const dp = dataParallel(worldSize > 1);
  args.log(`resuming ${run.config.architecture} from ${run.dir} on ${args.data}: ${trainRows} train / ${validRows} validation rows${worldSize > 1 ? ` on ${worldSize} ranks` : ''}`);

  const tasks = run.model.tasks.map((t) => t.name);
  const es = earlyStoppingFor(job, tasks);
  const higherIsBetter = metricDirection(es.metric) === 'higher';
  const before = evaluate(run.model, validation, { extraMetrics: ['score'], dataParallel: dp });
  const startValue = monitoredValue(before, null, tasks, es.monitor, es.metric);
  const start: Record<string, Tensor> = Object.fromEntries(Object.entries(run.model.stateDict()).map(([k, t]) => [k, keep(clone(t))]));
  manualSeed(args.seed);
  const t0 = performance.now();
  const history = train(
    run.model,
    rankLocal(new DataLoader(trainData, { batchSize: job.training.batchSize, shuffle: true, seed: args.seed })),
    { ...trainOptions(job, { tasks, seed: args.seed, validation, progress: args.progress, epochs: args.epochs }), distributed: worldSize > 1 },
  );
  const seconds = (performance.now() - t0) / 1000;
  const bestValue = history.best?.value ?? NaN;
  const improved = beats(es.metric, bestValue, startValue);
  const what = describeMonitor(es);
  let kept: string;
  if (improved) {
    kept = `epoch ${history.best!.epoch + 1}`;
    args.log(`kept epoch ${history.best!.epoch + 1} of ${plural(history.epochs.length, 'epoch')}: ${what} ${bestValue.toFixed(4)} beats the starting model's ${startValue.toFixed(4)}`);
  } else {
    run.model.loadStateDict(start);
    kept = 'start';
    args.log(`kept the starting weights: no epoch of ${plural(history.epochs.length, 'epoch')} beat their ${what} of ${startValue.toFixed(4)} (best ${Number.isFinite(bestValue) ? bestValue.toFixed(4) : 'none'})`);
  }
  for (const t of Object.values(start)) t.dispose();

  const after = evaluate(run.model, validation, { extraMetrics: ['score'], dataParallel: dp });
  const rows: string[][] = [];
  for (const task of Object.keys(after.metrics))
    for (const m of Object.keys(after.metrics[task])) rows.push([task, m, (before.metrics[task]?.[m] ?? NaN).toFixed(4), after.metrics[task][m].toFixed(4)]);
  args.log('\nValidation metrics on the new rows, before and after continuing:\n');
  args.log(formatTable(['task', 'metric', 'before', 'after'], rows));

  const record: ModelRun = {
    kind: 'multi-task',
    architecture: run.config.architecture,
    tasks: run.model.tasks.map((t) => t.name),
    seed: args.seed,
    seconds,
    parameters: run.model.numParameters(),
    monitor: what,
    test: after,
    history,
  };
  const data: DataSummary = {
    source: args.data,
    rows: { train: trainRows, validation: validRows, test: 0 },
    badRows: bad?.badRows ?? 0,
    firstBadRow: bad?.badRowSamples[0] ? `${bad.file} line ${bad.badRowSamples[0].line}: ${bad.badRowSamples[0].message}` : null,
    duplicateRows: 0,
  };
  const html = renderReport([record], job, data, {
    title: 'trunkline resumed run report',
    split: 'Validation (new rows)',
    intro: [
      { kind: 'text', text: `Resumed ${run.config.architecture} from ${run.dir} on ${args.data}. Kept: ${kept === 'start' ? 'the starting weights (no epoch beat them on validation)' : kept}.` },
      { kind: 'table', caption: 'Validation metrics on the new rows, before and after continuing', header: ['task', 'metric', 'before', 'after'], rows },
    ],
  });
  if (rank > 0) return '';
  const finalDir = writeRunDir(args.outDir, (tmpDir) => {
    writeJson(join(tmpDir, 'metrics.json'), {
      format: 'trunkline.resume',
      version: 1,
      resumedFrom: run.dir,
      engine: engineInfo(),
      data: args.data,
      seconds: (performance.now() - started) / 1000,
      kept,
      monitor: { metric: what, higherIsBetter, start: startValue, best: bestValue, kept: monitoredValue(after, null, tasks, es.monitor, es.metric) },
      before,
      after,
      history,
    });
    writeFileSync(join(tmpDir, 'report.html'), html);
    saveModel(join(tmpDir, 'model'), { weights: run.model.stateDict(), config: run.config, pipeline: run.pipeline });
  });
  args.log(`\nwrote ${finalDir}/ (report.html, metrics.json, model/)`);
  return finalDir;
}
