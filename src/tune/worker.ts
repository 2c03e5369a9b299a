// A worker process of the search pool (forked by pool.ts): it trains one trial at a time,
// the multi-task model only, on the training split, and evaluates it on the validation
// split; asked at the end, it evaluates a trained trial's saved weights on the test split.
// The data is prepared once per worker (the split is the same for every trial) and reused.
// Its native thread count comes from TRUNKLINE_NUM_THREADS, which the pool sets and the
// engine reads when it starts.
import { DataLoader } from '../data/index.js';
import { evaluate, train, type History } from '../mtl/index.js';
import { manualSeed } from '../tensor/random.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import type { JobConfig } from '../cli/config.js';
import { buildModel } from '../cli/models.js';
import { prepareData, type PreparedData } from '../cli/prepare.js';
import { trainOptions } from '../cli/train-options.js';
import { RungFile } from './asha.js';
import { scalarise, taskObjectives, type TaskMetricValues } from './objective.js';
import type { WorkerJob, WorkerReply } from './trial.js';

/** Prepared data by what it depends on: the data section, the features and the tasks' columns. */
const cache = new Map<string, PreparedData>();

async function prepared(config: JobConfig, splitSeed: number): Promise<PreparedData> {
  const tasks = config.tasks.map(({ weight: _w, posWeight: _p, towerHidden: _t, ...rest }) => rest);
  const key = JSON.stringify([config.data, config.features ?? null, tasks, splitSeed]);
  let p = cache.get(key);
  if (!p) {
    p = await prepareData(config, splitSeed);
    cache.set(key, p);
  }
  return p;
}

/** Thrown from the epoch callback to end a trial that successive halving stops. */
class StopAtRung extends Error {
  constructor(readonly rung: number) {
    super(`stopped at rung ${rung}`);
  }
}

async function runTrial(job: Extract<WorkerJob, { type: 'trial' }>): Promise<WorkerReply> {
  const t0 = performance.now();
  const { config, seed } = job;
  const p = await prepared(config, job.splitSeed);
  manualSeed(seed);
  const model = buildModel(config.model.architecture, p.train.featureSpecs, p.train.taskSpecs, config);
  const tasks = model.tasks.map((t) => t.name);
  const trainLoader = new DataLoader(p.train, { batchSize: config.training.batchSize, shuffle: true, seed });
  const validation = new DataLoader(p.validation, { batchSize: 2048 });
  const options = trainOptions(config, { tasks, seed, validation, progress: false });
  const objectives = taskObjectives(config);
  const rungFile = job.asha ? new RungFile(job.asha.file) : null;
  let last: History | null = null;
  options.callbacks = {
    onEpochEnd(rec, history) {
      last = history;
      const epochs = rec.epoch + 1;
      if (!job.asha || !rungFile || !job.asha.rungs.includes(epochs)) return;
      const value = scalarise(objectives, job.asha.weights, rec.validation?.metrics);
      if (!rungFile.decide(job.trial, epochs, value, job.asha.eta)) throw new StopAtRung(epochs);
    },
  };
  let reply: WorkerReply;
  try {
    const history = train(model, trainLoader, options);
    const metrics = evaluate(model, validation).metrics as TaskMetricValues;
    reply = { type: 'trial', trial: job.trial, status: 'finished', epochs: history.epochs.length, validation: metrics, seconds: 0 };
  } catch (e) {
    if (!(e instanceof StopAtRung)) throw e;
    const h = last as History | null;
    const metrics = (h?.epochs[h.epochs.length - 1]?.validation?.metrics ?? {}) as TaskMetricValues;
    reply = { type: 'trial', trial: job.trial, status: 'stopped', epochs: e.rung, stoppedAt: e.rung, validation: metrics, seconds: 0 };
  }
  saveSafetensors(job.weightsPath, model.stateDict());
  reply.seconds = (performance.now() - t0) / 1000;
  return reply;
}

async function runTest(job: Extract<WorkerJob, { type: 'test' }>): Promise<WorkerReply> {
  const { config } = job;
  const p = await prepared(config, job.splitSeed);
  const model = buildModel(config.model.architecture, p.train.featureSpecs, p.train.taskSpecs, config);
  model.loadStateDict(loadSafetensors(job.weightsPath).tensors);
  const test = evaluate(model, new DataLoader(p.test, { batchSize: 2048 })).metrics as TaskMetricValues;
  return { type: 'test', trial: job.trial, test };
}

process.on('message', (job: WorkerJob) => {
  const work = job.type === 'trial' ? runTrial(job) : runTest(job);
  work
    .catch((e: unknown): WorkerReply => ({ type: 'error', trial: job.trial, message: e instanceof Error ? e.message : String(e) }))
    .then((reply) => process.send!(reply));
});
// Ctrl-C in a terminal reaches the whole process group: the search process alone answers
// it (it stops the workers with SIGTERM and records nothing more), so a trial cut short is
// never recorded as failed.
process.on('SIGINT', () => {});
// The pool's channel closing (the search ended or was interrupted) ends the worker.
process.on('disconnect', () => process.exit(0));
