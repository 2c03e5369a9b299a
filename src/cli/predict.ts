// `trunkline predict` and `trunkline eval`: a saved model on new raw CSV rows.
import { DataLoader, readCsv } from '../data/index.js';
import { evaluate, predict } from '../mtl/index.js';
import { writeCsv } from '../io/index.js';
import { tidy } from '../tensor/scope.js';
import { loadRun, requiredColumns, warnInvalidNumbers } from './saved.js';
import { formatTable } from './summary.js';

export async function runPredict(args: { model: string; data: string; out: string; log: (s: string) => void }): Promise<void> {
  const run = loadRun(args.model);
  // Every input row gets an output row, so a ragged row is an error, not a skipped row.
  const table = await readCsv(args.data, { types: run.pipeline.schema(), required: run.pipeline.inputColumns, onBadRow: 'error' });
  warnInvalidNumbers(table, run.pipeline, args.log);
  const encoded = run.pipeline.transform(table, { labels: 'none' });
  const columns: Record<string, (number | string)[] | Float64Array | Int32Array> = { line: Int32Array.from(encoded.lineNumbers) };
  const outputs = new Map<string, number[]>();
  const loader = new DataLoader(encoded, { batchSize: 4096 });
  const widths = new Map<string, number>();
  for (const batch of loader) {
    const preds = tidy(() => predict(run.model, batch.inputs));
    for (const [name, values] of Object.entries(preds)) {
      widths.set(name, values.length / batch.size);
      const acc = outputs.get(name) ?? [];
      for (const v of values) acc.push(v);
      outputs.set(name, acc);
    }
  }
  for (const [name, values] of outputs) {
    const w = widths.get(name)!;
    const spec = run.pipeline.taskSpecs.find((t) => t.name === name);
    if (w === 1) {
      columns[spec?.type === 'regression' ? name : `${name}_probability`] = Float64Array.from(values);
    } else {
      // Multiclass: the most likely class and its probability; multilabel: one column per label.
      const classes = spec?.classes ?? Array.from({ length: w }, (_, i) => String(i));
      if (spec?.type === 'multilabel') {
        for (let k = 0; k < w; k++) columns[`${name}_${classes[k]}`] = Float64Array.from({ length: values.length / w }, (_, i) => values[i * w + k]);
      } else {
        const best: string[] = [];
        const prob = new Float64Array(values.length / w);
        for (let i = 0; i < prob.length; i++) {
          let arg = 0;
          for (let k = 1; k < w; k++) if (values[i * w + k] > values[i * w + arg]) arg = k;
          best.push(classes[arg]);
          prob[i] = values[i * w + arg];
        }
        columns[name] = best;
        columns[`${name}_probability`] = prob;
      }
    }
  }
  writeCsv(args.out, columns);
  args.log(`wrote ${encoded.numRows} predictions for ${[...outputs.keys()].join(', ')} to ${args.out}`);
}

export async function runEval(args: { model: string; data: string; log: (s: string) => void }): Promise<Record<string, Record<string, number>>> {
  const run = loadRun(args.model);
  const table = await readCsv(args.data, { types: run.pipeline.schema(), required: requiredColumns(run.pipeline), onBadRow: 'error' });
  warnInvalidNumbers(table, run.pipeline, args.log);
  const encoded = run.pipeline.transform(table, { labels: 'required' });
  const result = evaluate(run.model, new DataLoader(encoded, { batchSize: 4096 }));
  const rows: string[][] = [];
  for (const [task, metrics] of Object.entries(result.metrics))
    for (const [m, v] of Object.entries(metrics)) rows.push([task, m, v.toFixed(4), String(result.rows[task])]);
  args.log(`${run.config.architecture} model from ${run.dir} on ${args.data} (${encoded.numRows} rows):\n`);
  args.log(formatTable(['task', 'metric', 'value', 'rows'], rows));
  return result.metrics;
}
