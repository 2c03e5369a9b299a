// A saved run's model, for the CLI and for library users (exported as `loadRun`):
// rebuilds the architecture from config.json, loads the weights (checking every tensor's
// name and shape), and predicts from raw rows in the user's terms.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, readModelConfig, saveModel } from '../io/index.js';
import { DataLoader, Table, type EncodedDataset, type FeaturePipeline, type TaskSpec } from '../data/index.js';
import { predict, type MultiTaskModel } from '../mtl/index.js';
import { tidy } from '../tensor/scope.js';
import type { Architecture, JobConfig } from './config.js';
import { buildModel } from './models.js';

export interface SavedRunConfig {
  job: JobConfig;
  architecture: Architecture;
}

/** Probability at or above which a binary task's hard label is 1 (and a multilabel class is on). */
export const LABEL_THRESHOLD = 0.5;

/** One output of a model for a set of rows, in the user's terms. */
export type TaskPrediction =
  | { type: 'binary'; probability: number[]; label: (0 | 1)[] }
  | { type: 'regression'; value: number[] }
  | { type: 'multiclass'; classes: string[]; label: string[]; probability: number[]; probabilities: number[][] }
  | { type: 'multilabel'; classes: string[]; probabilities: number[][]; labels: string[][] };

/** Raw model outputs of one task (or an extra output such as ESMM's product), row-major. */
export interface RawOutput {
  name: string;
  spec: TaskSpec | undefined;
  width: number;
  values: Float32Array;
}

/** Accepts a run directory (runs/<id>) or its model/ directory. */
export function modelDir(path: string): string {
  if (existsSync(join(path, 'model', 'config.json'))) return join(path, 'model');
  if (existsSync(join(path, 'config.json'))) return path;
  throw new Error(`${path}: no saved model here (expected ${join(path, 'model', 'config.json')} or ${join(path, 'config.json')})`);
}

/** A model trained by `trunkline train`, with the fitted features that turn raw rows into inputs. */
export class LoadedRun {
  constructor(
    /** The model directory it was loaded from. */
    readonly dir: string,
    readonly config: SavedRunConfig,
    readonly pipeline: FeaturePipeline,
    readonly model: MultiTaskModel,
    /** Tensors stored in another dtype and how they were converted (name -> 'F64 -> float32 ...'). */
    readonly conversions: Record<string, string> = {},
  ) {}

  /** The raw columns a row needs (the feature columns). */
  get inputColumns(): string[] {
    return this.pipeline.inputColumns;
  }

  /** Predicts every task for rows given as objects keyed by column name (values as read from a CSV). */
  predictRows(rows: readonly Record<string, unknown>[], options: { name?: string } = {}): Record<string, TaskPrediction> {
    const name = options.name ?? 'rows';
    const columns: Record<string, (string | null)[]> = {};
    for (const c of this.pipeline.inputColumns) columns[c] = [];
    rows.forEach((row, i) => {
      for (const c of this.pipeline.inputColumns) {
        if (!(c in row)) throw new Error(`${name}[${i}]: missing column '${c}' (needed: ${this.pipeline.inputColumns.join(', ')})`);
        const v = row[c];
        columns[c].push(v === null || v === undefined ? null : String(v));
      }
    });
    const table = Table.fromColumns(columns, { types: this.pipeline.schema(), file: name });
    const encoded = this.pipeline.transform(table, { labels: 'none' });
    const out: Record<string, TaskPrediction> = {};
    for (const raw of this.predictEncoded(encoded)) out[raw.name] = inUserTerms(raw);
    return out;
  }

  /** Raw outputs for encoded rows, in the model's output order. */
  predictEncoded(encoded: EncodedDataset): RawOutput[] {
    const parts = new Map<string, Float32Array[]>();
    const widths = new Map<string, number>();
    for (const batch of new DataLoader(encoded, { batchSize: 4096 })) {
      const preds = tidy(() => predict(this.model, batch.inputs));
      for (const [name, values] of Object.entries(preds)) {
        widths.set(name, values.length / batch.size);
        parts.set(name, [...(parts.get(name) ?? []), values]);
      }
    }
    return [...parts].map(([name, chunks]) => {
      const values = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        values.set(c, at);
        at += c.length;
      }
      return { name, spec: this.pipeline.taskSpecs.find((t) => t.name === name), width: widths.get(name)!, values };
    });
  }

  /** Saves the model (weights, config, fitted features) as a model directory that `loadRun` reads. */
  save(dir: string): void {
    saveModel(dir, { weights: this.model.stateDict(), config: this.config, pipeline: this.pipeline });
  }
}

/** Turns one raw output into the user's terms: probabilities and labels, class names, values. */
export function inUserTerms(raw: RawOutput): TaskPrediction {
  const { spec, width: w, values } = raw;
  const n = values.length / w;
  if (w === 1) {
    const v = Array.from(values);
    if (spec?.type === 'regression') return { type: 'regression', value: v };
    return { type: 'binary', probability: v, label: v.map((p) => (p >= LABEL_THRESHOLD ? 1 : 0)) };
  }
  const classes = spec?.classes ?? Array.from({ length: w }, (_, i) => String(i));
  const probabilities = Array.from({ length: n }, (_, i) => Array.from(values.subarray(i * w, (i + 1) * w)));
  if (spec?.type === 'multilabel')
    return { type: 'multilabel', classes, probabilities, labels: probabilities.map((p) => classes.filter((_, k) => p[k] >= LABEL_THRESHOLD)) };
  const label: string[] = [];
  const probability: number[] = [];
  for (const p of probabilities) {
    let arg = 0;
    for (let k = 1; k < w; k++) if (p[k] > p[arg]) arg = k;
    label.push(classes[arg]);
    probability.push(p[arg]);
  }
  return { type: 'multiclass', classes, label, probability, probabilities };
}

/** Loads a run directory (runs/<id>) or model directory written by `trunkline train`. */
export function loadRun(path: string): LoadedRun {
  const dir = modelDir(path);
  const file = readModelConfig<SavedRunConfig>(dir);
  const cfg = file.config;
  if (!cfg || typeof cfg !== 'object' || !cfg.job || !cfg.architecture)
    throw new Error(`${join(dir, 'config.json')}: not a trunkline train run (no job config or architecture)`);
  const loaded = loadModel<SavedRunConfig>(dir);
  if (!loaded.pipeline) throw new Error(`${join(dir, 'config.json')}: has no fitted feature pipeline, cannot read raw rows`);
  const model = buildModel(cfg.architecture, loaded.pipeline.featureSpecs, loaded.pipeline.taskSpecs, cfg.job);
  try {
    model.loadStateDict(loaded.weights);
  } catch (e) {
    throw new Error(`${join(dir, 'weights.safetensors')}: does not fit the ${cfg.architecture} model of ${join(dir, 'config.json')}: ${(e as Error).message}`);
  }
  return new LoadedRun(dir, cfg, loaded.pipeline, model, loaded.conversions);
}

/** The columns a labelled file needs for this pipeline: the inputs, then the task labels. */
export function requiredColumns(pipeline: FeaturePipeline): string[] {
  return [...new Set([...pipeline.inputColumns, ...pipeline.tasks.map((t) => t.column)])];
}

/** Numeric feature cells that did not parse are read as missing; say so instead of filling them silently. */
export function warnInvalidNumbers(table: Table, pipeline: FeaturePipeline, log: (s: string) => void): void {
  for (const w of pipeline.numericCellWarnings(table)) log(`warning: ${w}`);
}

/** Says which stored tensors were converted from another dtype (nothing silent). */
export function logConversions(run: LoadedRun, log: (s: string) => void): void {
  const entries = Object.entries(run.conversions);
  if (!entries.length) return;
  const kinds = [...new Set(entries.map(([, how]) => how))];
  log(`note: ${run.dir}: ${entries.length} weight tensor(s) converted on load: ${kinds.join('; ')}`);
}
