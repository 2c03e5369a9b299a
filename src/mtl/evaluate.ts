// Evaluation and prediction: per-task masked losses and metrics over a whole data source.
import type { Tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/engine.js';
import { evaluateTask } from '../metrics/evaluate.js';
import { constantMetrics } from '../metrics/constant.js';
import { Generator } from '../tensor/random.js';
import { asLoader } from './data.js';
import type { MultiTaskModel } from './model.js';
import type { Task } from './task.js';
import type { EvaluationResult } from './history.js';
import type { DataSource } from './types.js';
import type { DataParallel } from '../distributed/data-parallel.js';

function growable(): { push(a: ArrayLike<number>): void; get(): Float64Array } {
  let buf = new Float64Array(1024), n = 0;
  return {
    push(a) {
      while (n + a.length > buf.length) {
        const b = new Float64Array(buf.length * 2);
        b.set(buf);
        buf = b;
      }
      for (let i = 0; i < a.length; i++) buf[n + i] = a[i];
      n += a.length;
    },
    get: () => buf.subarray(0, n),
  };
}

/** Losses and metrics of each task (or of `tasks`) over the data, in eval mode, without gradients. */
export function evaluate(
  model: MultiTaskModel,
  data: DataSource,
  options: { batchSize?: number; tasks?: string[]; extraMetrics?: string[]; dataParallel?: DataParallel | null } = {},
): EvaluationResult {
  const tasks = model.tasks.filter((t) => !options.tasks || options.tasks.includes(t.name));
  // Distributed: each rank evaluates its share of the batches; the sums and the labels and
  // predictions are then combined over the ranks, so AUC and friends see every row.
  const dp = options.dataParallel ?? null;
  const all = asLoader(data, options.batchSize ?? 1024, new Generator(0), { shuffle: false });
  const loader = dp ? dp.shard(all, false) : all;
  const wasTraining = model.training;
  model.eval();
  const labels = new Map(tasks.map((t) => [t.name, growable()]));
  const preds = new Map(tasks.map((t) => [t.name, growable()]));
  const lossSum = new Map<string, number>(), rows = new Map<string, number>();
  try {
    noGrad(() => {
      for (const batch of loader)
        tidy(() => {
          const out = model.forward(batch.inputs);
          for (const t of tasks) {
            const label = t.labelOf(batch);
            if (!label) continue;
            const prob = model.probabilityOutputs.has(t.name);
            const prepared = t.prepare(label, batch, prob);
            const o = out[t.name];
            if (!o) throw new Error(`evaluate: the model produced no output for task '${t.name}'`);
            if (prepared.count > 0) {
              lossSum.set(t.name, (lossSum.get(t.name) ?? 0) + t.computeLoss(o, prepared, prob).item() * prepared.count);
              rows.set(t.name, (rows.get(t.name) ?? 0) + prepared.count);
            }
            labels.get(t.name)!.push(t.metricLabels(label.data() as Float32Array | Int32Array));
            preds.get(t.name)!.push(t.predictions(o.data() as Float32Array, prob));
          }
        });
    });
  } finally {
    model.train(wasTraining);
  }
  if (dp) {
    const totals = dp.sum(Float64Array.from(tasks.flatMap((t) => [lossSum.get(t.name) ?? 0, rows.get(t.name) ?? 0])));
    tasks.forEach((t, i) => [lossSum.set(t.name, totals[2 * i]), rows.set(t.name, totals[2 * i + 1])]);
  }
  const gathered = (m: Map<string, { get(): Float64Array }>, name: string): Float64Array => (dp ? dp.gather(m.get(name)!.get()) : m.get(name)!.get());
  const result: EvaluationResult = { loss: {}, metrics: {}, rows: {} };
  for (const t of tasks) {
    const n = rows.get(t.name) ?? 0;
    result.rows[t.name] = n;
    if (!n) continue;
    result.loss[t.name] = lossSum.get(t.name)! / n;
    const names = [...new Set([...t.metrics, ...(options.extraMetrics ?? [])])];
    result.metrics[t.name] = evaluateTask(t.type, names, gathered(labels, t.name), gathered(preds, t.name), t.outputWidth);
  }
  return result;
}

/**
 * The same metrics for a predictor that ignores its inputs and always says the training
 * labels' rate, class shares or mean: the floor a trained model must clear. `train` and
 * `data` hold each task's labels by task name (tasks without labels there are left out).
 */
export function evaluateConstant(
  tasks: readonly Task[],
  train: Record<string, { values: Float32Array | Int32Array }>,
  data: Record<string, { values: Float32Array | Int32Array }>,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const t of tasks) {
    const fit = train[t.name], labels = data[t.name];
    if (!fit || !labels || !labels.values.length) continue;
    out[t.name] = constantMetrics(t.type, t.metrics, t.metricLabels(fit.values), t.metricLabels(labels.values), t.outputWidth);
  }
  return out;
}

/** Host predictions per output: probabilities for classification tasks (and ESMM's products), values in the target's units for regression. */
export function predict(model: MultiTaskModel, inputs: Record<string, Tensor>): Record<string, Float32Array> {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() =>
      tidy(() => {
        const out = model.forward(inputs);
        const res: Record<string, Float32Array> = {};
        for (const [name, o] of Object.entries(out)) {
          const t = model.tasks.find((x) => x.name === name);
          const data = Float32Array.from(o.data());
          res[name] = t ? t.toUserUnits(t.predictions(data, model.probabilityOutputs.has(name))) : data;
        }
        return res;
      }),
    );
  } finally {
    model.train(wasTraining);
  }
}
