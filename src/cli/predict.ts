// `trunkline predict` and `trunkline eval`: a saved model on new raw CSV rows.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { DataLoader, readTable, type EncodedDataset } from '../data/index.js';
import { evaluate } from '../mtl/index.js';
import { isParquetPath, writeCsv, writeParquet, type CsvColumnValues } from '../io/index.js';
import { inUserTerms, loadRun, logConversions, requiredColumns, warnInvalidNumbers } from './saved.js';
import { formatTable } from './summary.js';

export interface PredictArgs {
  model: string;
  data: string;
  out: string;
  /** Overwrite an existing --out file. */
  force?: boolean;
  /** Input columns copied to the output as they are (ids, say). */
  keep?: string[];
  /** Multiclass tasks: the K most likely classes and their probabilities instead of the best one. */
  topK?: number;
  log: (s: string) => void;
}

/** The real path of a file, or of its directory joined with its name when it does not exist yet. */
function realPathOf(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    try {
      return join(realpathSync(dirname(abs)), basename(abs));
    } catch {
      return abs;
    }
  }
}

/** Output columns with unique names: a name already taken gets `_2`, `_3`, ... and the rename is said. */
class OutputColumns {
  readonly columns: Record<string, CsvColumnValues> = {};
  constructor(private readonly log: (s: string) => void) {}

  add(name: string, values: CsvColumnValues, what: string): void {
    let unique = name;
    for (let i = 2; unique in this.columns; i++) unique = `${name}_${i}`;
    if (unique !== name) this.log(`note: output column '${name}' is taken (by ${this.owner.get(name)}); ${what} is written as '${unique}'`);
    this.owner.set(unique, what);
    this.columns[unique] = values;
  }

  private readonly owner = new Map<string, string>();
}

export async function runPredict(args: PredictArgs): Promise<void> {
  // Never overwrite the input, nor any existing file without --force.
  if (realPathOf(args.out) === realPathOf(args.data)) throw new Error(`--out ${args.out} is the input file --data ${args.data}; predictions would overwrite it`);
  if (existsSync(args.out) && !args.force) throw new Error(`--out ${args.out} already exists; pass --force to overwrite it`);
  const keep = args.keep ?? [];
  const run = loadRun(args.model);
  logConversions(run, args.log);
  const multiclass = run.pipeline.taskSpecs.filter((t) => t.type === 'multiclass');
  if (args.topK !== undefined && !multiclass.length)
    throw new Error(`--top-k applies to multiclass tasks; the model in ${run.dir} has none (${run.pipeline.taskSpecs.map((t) => `${t.name}: ${t.type}`).join(', ')})`);
  // Kept columns are passed through verbatim, so they are read as text.
  const types = { ...run.pipeline.schema() };
  for (const c of keep) if (!(c in types)) types[c] = 'categorical';
  // Every input row gets an output row, so a ragged row is an error, not a skipped row.
  const table = await readTable(args.data, { types, required: [...new Set([...run.pipeline.inputColumns, ...keep])], onBadRow: 'error' });
  warnInvalidNumbers(table, run.pipeline, args.log);
  const encoded = run.pipeline.transform(table, { labels: 'none' });
  logUnseen(encoded, args.data, args.log);
  const raws = run.predictEncoded(encoded);

  // Task outputs first, so they keep their names; the row numbers and kept columns yield.
  const tasks = new OutputColumns(args.log);
  for (const raw of raws) {
    const p = inUserTerms(raw);
    const name = raw.name;
    switch (p.type) {
      case 'regression':
        tasks.add(name, p.value, `task '${name}'`);
        break;
      case 'binary':
        tasks.add(`${name}_probability`, p.probability, `task '${name}'`);
        tasks.add(`${name}_label`, p.label, `task '${name}'`);
        break;
      case 'multilabel':
        p.classes.forEach((c, k) => tasks.add(`${name}_${c}`, p.probabilities.map((row) => row[k]), `task '${name}'`));
        break;
      case 'multiclass':
        if (args.topK === undefined) {
          tasks.add(name, p.label, `task '${name}'`);
          tasks.add(`${name}_probability`, p.probability, `task '${name}'`);
        } else {
          const k = Math.min(args.topK, p.classes.length);
          if (k < args.topK) args.log(`note: task '${name}' has ${p.classes.length} classes; --top-k ${args.topK} writes ${k}`);
          const ranked = p.probabilities.map((row) => row.map((v, c) => [v, c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]));
          for (let r = 0; r < k; r++) {
            tasks.add(`${name}_top${r + 1}`, ranked.map((row) => p.classes[row[r][1]]), `task '${name}'`);
            tasks.add(`${name}_top${r + 1}_probability`, ranked.map((row) => row[r][0]), `task '${name}'`);
          }
        }
        break;
    }
  }
  const out = new OutputColumns(args.log);
  const taken = new Set(Object.keys(tasks.columns));
  const ownName = (name: string) => {
    let unique = name;
    for (let i = 2; taken.has(unique) || unique in out.columns; i++) unique = `${name}_${i}`;
    return unique;
  };
  const lineName = ownName('line');
  if (lineName !== 'line') args.log(`note: output column 'line' is taken by a task output; the source line numbers are written as '${lineName}'`);
  out.add(lineName, Int32Array.from(encoded.lineNumbers), 'the source line numbers');
  for (const c of keep) {
    const name = ownName(c);
    if (name !== c) args.log(`note: output column '${c}' is taken by a task output; the kept input column '${c}' is written as '${name}'`);
    out.add(name, Array.from({ length: table.numRows }, (_, i) => table.cell(i, c)), `the kept column '${c}'`);
  }
  Object.assign(out.columns, tasks.columns);
  (isParquetPath(args.out) ? writeParquet : writeCsv)(args.out, out.columns);
  args.log(`wrote ${encoded.numRows} predictions for ${raws.map((r) => r.name).join(', ')} to ${args.out}`);
}

export async function runEval(args: { model: string; data: string; log: (s: string) => void }): Promise<Record<string, Record<string, number>>> {
  const run = loadRun(args.model);
  logConversions(run, args.log);
  const table = await readTable(args.data, { types: run.pipeline.schema(), required: requiredColumns(run.pipeline), onBadRow: 'error' });
  warnInvalidNumbers(table, run.pipeline, args.log);
  const encoded = run.pipeline.transform(table, { labels: 'required' });
  logUnseen(encoded, args.data, args.log);
  const result = evaluate(run.model, new DataLoader(encoded, { batchSize: 4096 }));
  const rows: string[][] = [];
  for (const [task, metrics] of Object.entries(result.metrics))
    for (const [m, v] of Object.entries(metrics)) rows.push([task, m, v.toFixed(4), String(result.rows[task])]);
  args.log(`${run.config.architecture} model from ${run.dir} on ${args.data} (${encoded.numRows} rows):\n`);
  args.log(formatTable(['task', 'metric', 'value', 'rows'], rows));
  return result.metrics;
}

/** Values the training split never had (or had fewer than minCount times) share one embedding; labels of unknown classes are left out. */
function logUnseen(encoded: EncodedDataset, file: string, log: (s: string) => void): void {
  for (const [feature, n] of Object.entries(encoded.unseen)) log(`note: ${file}: ${n} values of feature '${feature}' are not in its training vocabulary (new or rare); they share the out-of-vocabulary embedding`);
  for (const [task, n] of Object.entries(encoded.unseenClasses)) log(`note: ${file}: ${n} labels of task '${task}' name a class training never saw; they are left out of its metrics`);
}
