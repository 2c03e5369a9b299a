// How a model does on users it never saw in training. A time-split shop log
// (make-time-data.ts) where over 80% of the test rows come from new users; the click task's
// logloss on the rows of unseen users, against a constant predictor that always says the
// training click rate.
//
// 'after' is the library as it is: values rarer than minCount (default 2) share the
// out-of-vocabulary id 0 with unseen values, and that embedding row starts at zero.
// 'before' rebuilds what the library did until then: minCount 1 (no training value maps
// to id 0) and a random, never-trained row 0.
//
// Early stopping follows the mean validation loss by default (--monitor loss): on new users
// the model must be calibrated, and AUC, which only ranks, keeps checkpoints that are not.
//
// Run: npx tsx examples/shop/unseen-ids.ts [--seeds 1,2,3] [--rows 20000] [--epochs 20] [--min-count n] [--id-dropout p] [--monitor loss|auc]
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { data, mtl, manualSeed, globalGenerator, tidy } from 'trunkline';
import { makeTimeSessions } from './make-time-data.js';

const { DataLoader, FeaturePipeline, readCsvString, splitTable, timeSplit } = data;

export interface UnseenIdResult {
  seed: number;
  mode: 'before' | 'after';
  testRows: number;
  /** Test rows whose user_id never occurs in the training split. */
  unseenRows: number;
  trainClickRate: number;
  /** Click logloss on the unseen-user test rows: the model, and the constant training rate. */
  modelLogloss: number;
  constantLogloss: number;
  /** The same on the unseen-user validation rows (what a choice of settings may look at). */
  validation: { unseenRows: number; modelLogloss: number; constantLogloss: number; meanProbability: number; clickRate: number };
  /** On the unseen-user test rows: the model's mean click probability and the actual click rate. */
  meanProbability: number;
  clickRate: number;
}

const FEATURES: data.FeatureConfig[] = [
  { name: 'user_id', kind: 'categorical' },
  { name: 'item_id', kind: 'categorical' },
  { name: 'device', kind: 'categorical' },
  { name: 'category', kind: 'categorical' },
  { name: 'user_age', kind: 'numeric' },
  { name: 'price', kind: 'numeric' },
];

const TASKS: data.TaskConfig[] = [
  { name: 'click', type: 'binary', column: 'clicked' },
  { name: 'purchase', type: 'binary', column: 'purchased' },
];
// What `trunkline train` builds for { architecture: 'mmoe', embeddingDim: 8, hidden: [32], towerHidden: [16], experts: 3 }.
const TRAINING = { epochs: 20, batchSize: 128, lr: 0.003, patience: 3 };

function logloss(probabilities: ArrayLike<number>, labels: ArrayLike<number>, rows: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    const p = Math.min(1 - 1e-7, Math.max(1e-7, probabilities[r]));
    sum -= labels[r] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / rows.length;
}

export async function measureUnseenIds(options: { seed: number; mode: 'before' | 'after'; rows?: number; epochs?: number; minCount?: number; idDropout?: number; metric?: string }): Promise<UnseenIdResult> {
  const { seed, mode } = options;
  const table = await readCsvString(makeTimeSessions({ rows: options.rows ?? 20000, seed }), { name: 'time-sessions.csv' });
  const parts = splitTable(table, timeSplit(table, 'ts', { validation: 0.1, test: 0.2 }));
  const minCount = mode === 'before' ? 1 : options.minCount;
  const features = minCount === undefined ? FEATURES : FEATURES.map((f) => (f.kind === 'categorical' ? { ...f, minCount } : f));
  const pipeline = FeaturePipeline.fit(parts.train, { features, tasks: TASKS });
  const [trainData, validData, testData] = [parts.train, parts.validation, parts.test].map((t) => pipeline.transform(t));

  manualSeed(seed);
  const tasks = mtl.tasksFromData(trainData.taskSpecs, {
    click: { towerHidden: [16], metrics: ['auc', 'logloss'] },
    purchase: { towerHidden: [16], metrics: ['auc', 'logloss'] },
  });
  const model = new mtl.MMoE({ features: trainData.featureSpecs, embeddingDim: 8, tasks, numExperts: 3, expertHidden: [32], idDropout: mode === 'before' ? 0 : options.idDropout ?? 0 });
  if (mode === 'before') {
    // The former initialisation: row 0 drawn like every other row.
    for (const [name, weight] of model.namedParameters())
      if (/emb_.*\.weight$/.test(name)) {
        const row = weight.buf as Float32Array;
        for (let j = 0; j < weight.shape[1]; j++) row[j] = globalGenerator.normal();
      }
  }
  mtl.train(model, new DataLoader(trainData, { batchSize: TRAINING.batchSize, shuffle: true, seed }), {
    epochs: options.epochs ?? TRAINING.epochs,
    lr: TRAINING.lr,
    weighting: 'equal',
    validation: new DataLoader(validData, { batchSize: 2048 }),
    earlyStopping: { monitor: 'mean', metric: options.metric ?? 'loss', patience: TRAINING.patience },
    seed,
    progress: false,
  });

  const trainClicks = trainData.labels.click.values;
  let clicks = 0;
  for (const y of trainClicks) clicks += y;
  const rate = clicks / trainClicks.length;
  const seenUsers = new Set<string>();
  for (let i = 0; i < parts.train.numRows; i++) seenUsers.add(parts.train.cell(i, 'user_id'));
  const onUnseenUsers = (table: typeof parts.test, data: typeof testData) => {
    const probabilities = new Float32Array(data.numRows);
    for (const batch of new DataLoader(data, { batchSize: 4096 })) {
      const p = tidy(() => mtl.predict(model, batch.inputs)).click;
      batch.rows.forEach((r, k) => (probabilities[r] = p[k]));
    }
    const unseen: number[] = [];
    for (let i = 0; i < table.numRows; i++) if (!seenUsers.has(table.cell(i, 'user_id'))) unseen.push(i);
    const labels = data.labels.click.values;
    const mean = (v: ArrayLike<number>) => unseen.reduce((a, r) => a + v[r], 0) / unseen.length;
    return {
      unseenRows: unseen.length,
      meanProbability: mean(probabilities),
      clickRate: mean(labels),
      modelLogloss: logloss(probabilities, labels, unseen),
      constantLogloss: logloss(new Float32Array(data.numRows).fill(rate), labels, unseen),
    };
  };
  return {
    seed,
    mode,
    testRows: testData.numRows,
    trainClickRate: rate,
    ...onUnseenUsers(parts.test, testData),
    validation: onUnseenUsers(parts.validation, validData),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (flag: string, fallback: string) => {
    const i = process.argv.indexOf(flag);
    return i >= 0 ? process.argv[i + 1] : fallback;
  };
  const seeds = arg('--seeds', '1,2,3').split(',').map(Number);
  const rows = Number(arg('--rows', '20000'));
  const epochs = Number(arg('--epochs', '20'));
  const minCount = process.argv.includes('--min-count') ? Number(arg('--min-count', '2')) : undefined;
  const idDropout = Number(arg('--id-dropout', '0'));
  const metric = arg('--monitor', 'loss');
  console.log('seed  mode    unseen test rows  train click rate  test: constant  model     validation: constant  model');
  for (const seed of seeds)
    for (const mode of ['before', 'after'] as const) {
      const r = await measureUnseenIds({ seed, mode, rows, epochs, minCount, idDropout, metric });
      const v = r.validation;
      console.log(
        `${String(seed).padEnd(4)}  ${mode.padEnd(6)}  ${`${r.unseenRows} / ${r.testRows}`.padEnd(16)}  ${r.trainClickRate.toFixed(3).padEnd(16)}  ${r.constantLogloss.toFixed(4).padEnd(14)}  ${r.modelLogloss.toFixed(4).padEnd(8)}  ${v.constantLogloss.toFixed(4).padEnd(20)}  ${v.modelLogloss.toFixed(4)}`,
      );
    }
}
