// `trunkline train --resume runs/<id> --data new.csv`: continue a saved model on new
// rows with the same vocabularies and scalers, and save it as a new run.
import { join } from 'node:path';
import { DataLoader, randomSplit, readCsv, splitTable } from '../data/index.js';
import { evaluate, train } from '../mtl/index.js';
import { saveModel } from '../io/index.js';
import { manualSeed } from '../tensor/random.js';
import { loadRun, requiredColumns, warnInvalidNumbers } from './saved.js';
import { formatTable } from './summary.js';
import { monitorMetric } from './train.js';
import { writeJson, writeRunDir } from './run-dir.js';

export async function runResume(args: { from: string; data: string; outDir: string; epochs?: number; seed: number; progress: boolean | 'auto'; log: (s: string) => void }): Promise<string> {
  const run = loadRun(args.from);
  const job = run.config.job;
  const table = await readCsv(args.data, { types: run.pipeline.schema(), required: requiredColumns(run.pipeline) });
  const bad = table.report;
  if (bad?.badRows) args.log(`${bad.badRows} bad rows skipped (first: ${bad.file} line ${bad.badRowSamples[0].line}: ${bad.badRowSamples[0].message})`);
  warnInvalidNumbers(table, run.pipeline, args.log);
  const parts = splitTable(table, randomSplit(table.numRows, { validation: 0.1, test: 0, seed: args.seed }));
  const trainData = run.pipeline.transform(parts.train);
  const validData = run.pipeline.transform(parts.validation);
  const validation = new DataLoader(validData, { batchSize: 2048 });
  args.log(`resuming ${run.config.architecture} from ${run.dir} on ${args.data}: ${trainData.numRows} train / ${validData.numRows} validation rows`);
  const before = evaluate(run.model, validation);
  manualSeed(args.seed);
  const history = train(run.model, new DataLoader(trainData, { batchSize: job.training.batchSize ?? 256, shuffle: true, seed: args.seed }), {
    epochs: args.epochs ?? job.training.epochs ?? 15,
    lr: job.training.lr ?? 1e-3,
    weighting: job.training.weighting ?? 'equal',
    validation,
    earlyStopping: { monitor: 'mean', metric: monitorMetric(job), patience: job.training.patience ?? 3 },
    seed: args.seed,
    progress: args.progress,
  });
  const after = evaluate(run.model, validation);
  const rows: string[][] = [];
  for (const task of Object.keys(after.metrics))
    for (const m of Object.keys(after.metrics[task])) rows.push([task, m, (before.metrics[task]?.[m] ?? NaN).toFixed(4), after.metrics[task][m].toFixed(4)]);
  args.log('\nValidation metrics on the new rows, before and after continuing:\n');
  args.log(formatTable(['task', 'metric', 'before', 'after'], rows));

  const finalDir = writeRunDir(args.outDir, (tmpDir) => {
    writeJson(join(tmpDir, 'metrics.json'), { format: 'trunkline.resume', version: 1, resumedFrom: run.dir, data: args.data, before, after, history });
    saveModel(join(tmpDir, 'model'), { weights: run.model.stateDict(), config: run.config, pipeline: run.pipeline });
  });
  args.log(`\nwrote ${finalDir}/ (metrics.json, model/)`);
  return finalDir;
}
