// Feature columns fitted on the training split and re-applied exactly to new rows:
// categorical ids (vocabulary with min-count and an OOV bucket, or hashing), numeric values
// (standardised or min-max, missing filled and flagged), and bags of ids for multi-hot and
// text cells (EmbeddingBag inputs). A fitted pipeline round-trips through JSON. The fit
// reads the training rows only through statistics that merge across parts of them
// (fit-stats.ts), so one process and the ranks of a distributed run fit the same pipeline.
import { asNumbers, asStrings, fnv1a } from './columns.js';
import { splitBag, summarizeCells, type CellSummary, type ValueCounts } from './column-stats.js';
import { collectFitStats, type FitPlan, type FitStats, type LeakStats, type PlannedFeature } from './fit-stats.js';
import { encodeTaskCounted, fitTaskFromStats, notBinaryLabel, taskSpec, type EncodedLabel, type FittedTask, type TaskConfig, type TaskSpec } from './labels.js';
import { meanOf, stdOf } from '../shared/moments.js';
import type { ColumnType, Table } from './table.js';
import { wholeTable, type TrainingParts } from './training-parts.js';
import type { FeatureSpec } from '../shared/contract.js';

export type FeatureKind = ColumnType;

export interface FeatureConfig {
  /** The feature name (keys `Batch.inputs`). */
  name: string;
  /** The source column (defaults to the name). */
  column?: string;
  /** Defaults to the column's type in the training table. */
  kind?: FeatureKind;
  /**
   * Categorical / multi-hot: values seen fewer times share the out-of-vocabulary id 0 with
   * values never seen (default 2: training singletons train that id, so a new user or item
   * at prediction time gets an embedding learned from rare ones, not an untrained one).
   */
  minCount?: number;
  /** Categorical / multi-hot: keep at most this many most frequent values. */
  maxVocab?: number;
  /** Categorical / multi-hot: hash values into this many buckets instead of a vocabulary; text: buckets (default 16384). */
  hashBuckets?: number;
  /** Numeric: 'standard' (default), 'minmax' or 'none'. */
  scale?: 'standard' | 'minmax' | 'none';
  /** Numeric: missing values take the training mean (default), median, or 0 (all before scaling). */
  fill?: 'mean' | 'median' | 'zero';
  /** Numeric: add a 0/1 missing-flag column; 'auto' (default) adds it when the training split has missing values. */
  missingFlag?: boolean | 'auto';
  /** Multi-hot: separator inside a cell (default '|'). */
  separator?: string;
  /** Text: word n-grams up to this length (default 2). */
  ngrams?: number;
}

/** The contract's feature spec: what an input layer needs to size itself. */
export type { FeatureSpec } from '../shared/contract.js';

/** A fitted feature (JSON-safe). */
export type FittedFeature =
  | { name: string; column: string; kind: 'categorical'; vocab: string[] | null; hashBuckets: number | null }
  | {
      name: string;
      column: string;
      kind: 'numeric';
      scale: 'standard' | 'minmax' | 'none';
      center: number;
      divisor: number;
      /** The scaled value a missing cell takes. */
      fill: number;
      missingFlag: boolean;
      /** What `fill` was computed from (absent in pipelines saved before it existed: the mean). */
      fillFrom?: 'mean' | 'median' | 'zero';
    }
  | { name: string; column: string; kind: 'multihot'; vocab: string[] | null; hashBuckets: number | null; separator: string }
  | { name: string; column: string; kind: 'text'; hashBuckets: number; ngrams: number };

/** Encoded inputs of one feature for all rows, columnar. */
export type EncodedFeature =
  | { kind: 'categorical'; ids: Int32Array }
  | { kind: 'numeric'; width: number; values: Float32Array }
  /** Row i's bag is ids[offsets[i] .. offsets[i+1]); offsets has numRows + 1 entries. */
  | { kind: 'multihot' | 'text'; ids: Int32Array; offsets: Int32Array };

/** A table encoded for training: typed arrays per feature and per task. */
export interface EncodedDataset {
  numRows: number;
  features: Record<string, EncodedFeature>;
  labels: Record<string, EncodedLabel>;
  featureSpecs: FeatureSpec[];
  taskSpecs: TaskSpec[];
  /** Source line per row, for messages. */
  lineNumbers: Int32Array;
  /**
   * Per vocabulary feature with any: present values not in the fitted vocabulary (never
   * seen in training, or seen fewer than minCount times there); they share id 0.
   * Multi-hot features count tags.
   */
  unseen: Record<string, number>;
  /**
   * Per multiclass / multilabel task with any: labels naming a class the training split
   * never had (multiclass: rows); they are masked out like missing labels.
   */
  unseenClasses: Record<string, number>;
}

export interface PipelineJSON {
  format: 'trunkline.features';
  version: 1;
  hash: 'fnv1a32';
  features: FittedFeature[];
  tasks: FittedTask[];
}

export interface FitOptions {
  /** Features to build; by default every column that is not a task column or excluded, of its column type. */
  features?: FeatureConfig[];
  tasks?: TaskConfig[];
  /** Columns never used as inputs (ids, leaks such as bank's duration). */
  exclude?: string[];
  /** Options applied to every default feature (e.g. { minCount: 5 }). */
  defaults?: Omit<FeatureConfig, 'name' | 'column' | 'kind'>;
}

export interface TransformOptions {
  /** 'required' (default): every task column must exist; 'optional': tasks whose column is absent are left out; 'none': no labels (predict). */
  labels?: 'required' | 'optional' | 'none';
}

const TEXT_BUCKETS = 1 << 14;
/** Default minCount of vocabulary features (see FeatureConfig.minCount). */
export const DEFAULT_MIN_COUNT = 2;

export class FeaturePipeline {
  private constructor(
    readonly features: readonly FittedFeature[],
    readonly tasks: readonly FittedTask[],
    /**
     * What fitting noticed that may spoil a model without stopping it: text cells in numeric
     * columns, id-like numeric columns, features that give a label away. Empty for a
     * pipeline read back from JSON.
     */
    readonly warnings: readonly string[] = [],
  ) {}

  /** Fits vocabularies, scalers and label encoders on the training table. */
  static fit(train: Table, options: FitOptions = {}): FeaturePipeline {
    return FeaturePipeline.fitParts(wholeTable(train), options);
  }

  /**
   * Fits on training rows held in parts (each rank's share under mpirun) from statistics
   * every part computes on its own rows and that merge exactly: the pipeline `fit` makes
   * on all the rows together. Collective over the parts.
   */
  static fitParts(parts: TrainingParts, options: FitOptions = {}): FeaturePipeline {
    const plan = planFit(parts.local.table, options);
    const stats = collectFitStats(parts, plan);
    const file = parts.local.table.file;
    const fittedTasks = plan.tasks.map((t, i) => fitTaskFromStats(stats.tasks[i], t, file));
    fittedTasks.forEach((t, i) => requireLabelledRow(file, t, stats.tasks[i].labelled));
    const warnings: string[] = [];
    const features = plan.features.map((f, j) => fitFeature(f, stats, j, file, options.features !== undefined, warnings));
    warnings.push(...leakWarnings(stats, features, fittedTasks));
    return new FeaturePipeline(features, fittedTasks, warnings);
  }

  /**
   * Warnings for numeric features' cells in `table` that are not numbers (read as missing),
   * and an Error when they are more than half of a column's present cells. `fit` runs it on
   * the training table; run it on validation, test and new files read with this schema.
   */
  numericCellWarnings(table: Table): string[] {
    const out: string[] = [];
    for (const f of this.features)
      if (f.kind === 'numeric' && table.has(f.column)) out.push(...numericCellWarning(summarizeCells(wholeTable(table).local, f.column), table.file, f.column, f.fillFrom ?? 'mean'));
    return out;
  }

  get featureSpecs(): FeatureSpec[] {
    return this.features.map(featureSpec);
  }

  get taskSpecs(): TaskSpec[] {
    return this.tasks.map(taskSpec);
  }

  /** The columns the features read. */
  get inputColumns(): string[] {
    return [...new Set(this.features.map((f) => f.column))];
  }

  /** Column types to pass as `types` when reading new files, so they parse as the training file did. */
  schema(): Record<string, ColumnType> {
    const s: Record<string, ColumnType> = {};
    for (const f of this.features) s[f.column] = f.kind;
    return s;
  }

  /** Applies the fitted pipeline to any table with the input columns. */
  transform(table: Table, options: TransformOptions = {}): EncodedDataset {
    const mode = options.labels ?? 'required';
    table.requireColumns(this.inputColumns);
    const tasks = mode === 'none' ? [] : mode === 'optional' ? this.tasks.filter((t) => table.has(t.column)) : this.tasks;
    table.requireColumns(tasks.map((t) => t.column));
    const features: Record<string, EncodedFeature> = {};
    const unseen: Record<string, number> = {};
    for (const f of this.features) {
      const { encoded, outOfVocabulary } = encodeFeature(table, f);
      features[f.name] = encoded;
      if (outOfVocabulary) unseen[f.name] = outOfVocabulary;
    }
    const labels: Record<string, EncodedLabel> = {};
    const unseenClasses: Record<string, number> = {};
    for (const t of tasks) {
      const { label, unseenClasses: n } = encodeTaskCounted(table, t);
      labels[t.name] = label;
      if (n) unseenClasses[t.name] = n;
    }
    return {
      numRows: table.numRows,
      features,
      labels,
      featureSpecs: this.featureSpecs,
      taskSpecs: tasks.map(taskSpec),
      lineNumbers: table.lineNumbers,
      unseen,
      unseenClasses,
    };
  }

  toJSON(): PipelineJSON {
    return { format: 'trunkline.features', version: 1, hash: 'fnv1a32', features: structuredClone([...this.features]), tasks: structuredClone([...this.tasks]) };
  }

  static fromJSON(json: unknown): FeaturePipeline {
    const j = json as PipelineJSON;
    if (!j || typeof j !== 'object' || j.format !== 'trunkline.features')
      throw new Error(`FeaturePipeline.fromJSON: not a trunkline feature pipeline (format ${JSON.stringify((j as { format?: unknown })?.format)})`);
    if (j.version !== 1) throw new Error(`FeaturePipeline.fromJSON: unsupported version ${j.version} (this build reads version 1)`);
    if (!Array.isArray(j.features) || !Array.isArray(j.tasks)) throw new Error('FeaturePipeline.fromJSON: features and tasks must be arrays');
    for (const f of j.features) checkFitted(f);
    return new FeaturePipeline(structuredClone(j.features), structuredClone(j.tasks));
  }
}

/** Which features and tasks to fit, from the options and the table's columns alone (no rows read). */
function planFit(train: Table, options: FitOptions): FitPlan {
  const tasks = (options.tasks ?? []).map((t) => t);
  const taskByColumn = new Map(tasks.map((t) => [t.column ?? t.name, t.name]));
  if (options.features) options.features.forEach((f) => checkFeatureConfig(f, true));
  if (options.defaults) checkFeatureConfig({ ...options.defaults, name: '(defaults)' }, false);
  for (const f of options.features ?? []) {
    const column = f.column ?? f.name;
    const task = taskByColumn.get(column);
    if (task !== undefined)
      throw new Error(`feature '${f.name}': reads column '${column}', the label of task '${task}'; a label cannot be an input (remove the feature)`);
  }
  train.requireColumns([...taskByColumn.keys(), ...(options.features ?? []).map((f) => f.column ?? f.name)]);
  checkUnique(tasks.map((t) => t.name), 'task');
  let configs = options.features;
  if (!configs) {
    const skip = new Set([...taskByColumn.keys(), ...(options.exclude ?? [])]);
    configs = train.columns.filter((c) => !skip.has(c.name)).map((c) => ({ ...options.defaults, name: c.name }));
  }
  if (configs.length === 0) throw new Error(`${train.file}: no input features (every column is a task or excluded)`);
  checkUnique(configs.map((f) => f.name), 'feature');
  const features = configs.map((cfg): PlannedFeature => {
    const column = cfg.column ?? cfg.name;
    return { cfg, name: cfg.name, column, kind: cfg.kind ?? train.column(column).type };
  });
  return { features, tasks };
}

function checkUnique(names: string[], what: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new Error(`FeaturePipeline: ${what} '${n}' is named twice`);
    seen.add(n);
  }
}

function checkFitted(f: FittedFeature): void {
  const where = `FeaturePipeline.fromJSON: feature '${(f as { name?: string })?.name}'`;
  if (!f || typeof f.name !== 'string' || typeof f.column !== 'string') throw new Error(`${where}: needs a name and a column`);
  switch (f.kind) {
    case 'categorical':
    case 'multihot':
      if (f.vocab === null ? !(Number.isInteger(f.hashBuckets) && f.hashBuckets! > 0) : !Array.isArray(f.vocab))
        throw new Error(`${where}: needs a vocab array or a positive hashBuckets`);
      return;
    case 'numeric':
      if (![f.center, f.divisor, f.fill].every(Number.isFinite) || f.divisor === 0) throw new Error(`${where}: bad scaler (center, divisor, fill)`);
      return;
    case 'text':
      if (!(Number.isInteger(f.hashBuckets) && f.hashBuckets > 0 && Number.isInteger(f.ngrams) && f.ngrams > 0)) throw new Error(`${where}: bad hashBuckets or ngrams`);
      return;
    default:
      throw new Error(`${where}: unknown kind ${JSON.stringify((f as { kind?: unknown }).kind)}`);
  }
}

export function featureSpec(f: FittedFeature): FeatureSpec {
  switch (f.kind) {
    case 'numeric':
      return { name: f.name, kind: 'numeric', width: f.missingFlag ? 2 : 1 };
    case 'text':
      return { name: f.name, kind: 'text', cardinality: f.hashBuckets + 1 };
    default:
      // id 0 is the OOV / missing bucket (hashed features: missing only); vocabulary ids or hash buckets follow.
      return { name: f.name, kind: f.kind, cardinality: 1 + (f.vocab ? f.vocab.length : f.hashBuckets!) };
  }
}

const FEATURE_KINDS: readonly FeatureKind[] = ['categorical', 'numeric', 'multihot', 'text'];
/** The config fields each kind reads; others given on an explicit feature are errors, not silently ignored. */
const FIELDS_OF_KIND: Record<FeatureKind, readonly (keyof FeatureConfig)[]> = {
  categorical: ['minCount', 'maxVocab', 'hashBuckets'],
  multihot: ['minCount', 'maxVocab', 'hashBuckets', 'separator'],
  text: ['hashBuckets', 'ngrams'],
  numeric: ['scale', 'fill', 'missingFlag'],
};
const COMMON_FIELDS: readonly (keyof FeatureConfig)[] = ['name', 'column', 'kind'];
const ALL_FIELDS = new Set<string>([...COMMON_FIELDS, ...Object.values(FIELDS_OF_KIND).flat()]);

/** Every bad field of a feature config is an Error naming the feature and the field. */
function checkFeatureConfig(cfg: FeatureConfig, explicit: boolean): void {
  if (!cfg || typeof cfg !== 'object') throw new Error(`feature config must be an object, got ${JSON.stringify(cfg)}`);
  const name = cfg.name;
  if (typeof name !== 'string' || name === '') throw new Error(`feature config ${JSON.stringify(cfg)}: field 'name' must be a non-empty string`);
  const bad = (field: string, what: string) =>
    new Error(`feature '${name}': field '${field}' ${what}, got ${JSON.stringify((cfg as unknown as Record<string, unknown>)[field])}`);
  for (const key of Object.keys(cfg)) {
    if ((cfg as unknown as Record<string, unknown>)[key] === undefined) continue;
    if (!ALL_FIELDS.has(key)) throw new Error(`feature '${name}': unknown field '${key}' (known: ${[...ALL_FIELDS].join(', ')})`);
  }
  if (cfg.column !== undefined && (typeof cfg.column !== 'string' || cfg.column === '')) throw bad('column', 'must be a non-empty string');
  if (cfg.kind !== undefined && !FEATURE_KINDS.includes(cfg.kind)) throw bad('kind', `must be one of ${FEATURE_KINDS.join(', ')}`);
  for (const field of ['minCount', 'maxVocab', 'hashBuckets', 'ngrams'] as const) {
    const v = cfg[field];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw bad(field, 'must be a positive integer');
  }
  if (cfg.scale !== undefined && !['standard', 'minmax', 'none'].includes(cfg.scale)) throw bad('scale', "must be 'standard', 'minmax' or 'none'");
  if (cfg.fill !== undefined && !['mean', 'median', 'zero'].includes(cfg.fill)) throw bad('fill', "must be 'mean', 'median' or 'zero'");
  if (cfg.missingFlag !== undefined && typeof cfg.missingFlag !== 'boolean' && cfg.missingFlag !== 'auto') throw bad('missingFlag', "must be true, false or 'auto'");
  if (cfg.separator !== undefined && (typeof cfg.separator !== 'string' || cfg.separator === '')) throw bad('separator', 'must be a non-empty string');
  if (explicit && cfg.hashBuckets !== undefined && cfg.kind !== 'text')
    for (const field of ['minCount', 'maxVocab'] as const)
      if (cfg[field] !== undefined) throw bad(field, 'has no effect with hashBuckets (hashed values have no vocabulary)');
}

/** On an explicit feature, a field its kind does not read is an error (it would be ignored). */
function checkFieldsOfKind(cfg: FeatureConfig, kind: FeatureKind): void {
  const allowed = new Set<string>([...COMMON_FIELDS, ...FIELDS_OF_KIND[kind]]);
  for (const [key, v] of Object.entries(cfg))
    if (v !== undefined && !allowed.has(key))
      throw new Error(`feature '${cfg.name}': field '${key}' does not apply to a ${kind} feature (it reads ${FIELDS_OF_KIND[kind].join(', ')})`);
}

/** A task with no labelled training row would leave its head untrained in the saved model. */
function requireLabelledRow(file: string, t: FittedTask, labelled: number): void {
  if (!labelled)
    throw new Error(`${file}, column '${t.column}': task '${t.name}' has no labelled row in the training split (every cell is empty or a missing-value token)`);
}

/**
 * Text cells in a numeric feature's column become missing values; say how many (with an
 * example), and stop when they are more than half of the present cells: the column is not
 * numeric, and reading it as numbers would leave it all-missing.
 */
function numericCellWarning(cells: CellSummary, file: string, column: string, fillFrom: 'mean' | 'median' | 'zero'): string[] {
  const { invalid, present } = cells;
  if (!invalid) return [];
  const example = cells.example?.text ?? '';
  // A column read as numbers was checked by the reader already (it stops at more than half).
  if (!cells.fromReader && invalid * 2 > present)
    throw new Error(
      `${file}, column '${column}': declared numeric but ${invalid} of its ${present} present cells are not numbers${example}; declare it categorical or text, or fix the cells`,
    );
  const filled = fillFrom === 'zero' ? 'filled with 0' : `filled with the training ${fillFrom}`;
  return [`${file}, column '${column}': ${invalid} cells are not numbers${example}; they are treated as missing (${filled})`];
}

/** A group's rows count as separated only from this size on, so rare values (ids seen once) never look like a leak. */
const LEAK_MIN_GROUP = 5;

/**
 * A feature that separates a binary task's training labels almost perfectly is most often
 * a leak (a column filled only after the outcome, like 'purchased' for clicks): warn when
 * >= 99% of the labelled rows sit in values (categorical) or in missing / present
 * (numeric) whose label is always 0 or always 1, both labels occur in such values, and
 * the base rate is between 1% and 99%. One pass per feature and binary task.
 */
function leakWarnings(stats: FitStats, features: readonly FittedFeature[], tasks: readonly FittedTask[]): string[] {
  const binary = tasks.map((task, i) => ({ task, leak: stats.leaks[i] })).filter((b): b is { task: FittedTask; leak: LeakStats } => b.task.type === 'binary');
  if (!binary.length) return [];
  for (const { task, leak } of binary) if (leak.notBinary) throw new Error(`${leak.notBinary.where}, column '${task.column}': ${notBinaryLabel(leak.notBinary.cell, task)}`);
  const out: string[] = [];
  features.forEach((f, j) => {
    const what = f.kind === 'categorical' ? 'values' : f.kind === 'numeric' ? 'missing / present cells' : null;
    if (!what) return;
    for (const { task, leak } of binary) {
      const groups = leak.groups[j]!;
      let labelled = 0;
      let totalPositives = 0;
      for (const [, rows, positives] of groups) {
        labelled += rows;
        totalPositives += positives;
      }
      const base = labelled ? totalPositives / labelled : 0;
      if (base < 0.01 || base > 0.99) continue;
      let pureZero = 0;
      let pureOne = 0;
      for (const [, rows, positives] of groups) {
        if (rows < LEAK_MIN_GROUP) continue;
        if (positives === 0) pureZero += rows;
        else if (positives === rows) pureOne += rows;
      }
      if (pureZero > 0 && pureOne > 0 && pureZero + pureOne >= 0.99 * labelled)
        out.push(
          `feature '${f.name}' (column '${f.column}') separates the training labels of task '${task.name}' almost perfectly: ` +
            `${(((pureZero + pureOne) / labelled) * 100).toFixed(1)}% of the labelled rows have ${what} whose label is always 0 or always 1 ` +
            `(base rate ${(base * 100).toFixed(1)}%); if it is only known after the outcome it leaks the label: drop it (data.drop)`,
        );
    }
  });
  return out;
}

/**
 * An integer numeric column with a distinct value on every training row is most likely an
 * id or a timestamp, whose magnitude means nothing to the model. (Continuous measurements
 * are often all distinct too, so non-integer columns are left alone.)
 */
function idLikeNumericWarning(name: string, column: string, rows: number): string {
  return `feature '${name}' (column '${column}'): numeric with a distinct integer on each of its ${rows} training rows, like an id or a timestamp; drop it (data.drop) or make it categorical`;
}

function fitFeature(planned: PlannedFeature, stats: FitStats, j: number, file: string, explicit: boolean, warnings: string[]): FittedFeature {
  const { cfg, name, column } = planned;
  const kind = planned.kind as FeatureKind;
  if (explicit) checkFieldsOfKind(cfg, kind);
  switch (kind) {
    case 'categorical':
      if (cfg.hashBuckets) return { name, column, kind, vocab: null, hashBuckets: cfg.hashBuckets };
      return { name, column, kind, vocab: pickVocab(stats.features[j].counts!, cfg), hashBuckets: null };
    case 'multihot': {
      const separator = cfg.separator ?? '|';
      if (cfg.hashBuckets) return { name, column, kind, vocab: null, hashBuckets: cfg.hashBuckets, separator };
      return { name, column, kind, vocab: pickVocab(stats.features[j].counts!, cfg), hashBuckets: null, separator };
    }
    case 'text': {
      const ngrams = cfg.ngrams ?? 2;
      if (!(Number.isInteger(ngrams) && ngrams >= 1)) throw new Error(`feature '${name}': ngrams must be a positive integer, got ${ngrams}`);
      return { name, column, kind, hashBuckets: cfg.hashBuckets ?? TEXT_BUCKETS, ngrams };
    }
    case 'numeric': {
      const scale = cfg.scale ?? 'standard';
      const fillFrom = cfg.fill ?? 'mean';
      const s = stats.features[j].numeric!;
      warnings.push(...numericCellWarning(s.cells, file, column, fillFrom));
      if (s.distinctIntegers) warnings.push(idLikeNumericWarning(name, column, stats.rows));
      const n = s.present;
      const mean = meanOf(s.sum, n);
      const std = stdOf(s.squaredDeviations, n);
      let center = 0;
      let divisor = 1;
      if (scale === 'standard') {
        center = mean;
        divisor = std > 0 ? std : 1;
      } else if (scale === 'minmax') {
        center = n ? s.min! : 0;
        divisor = n && s.max! > s.min! ? s.max! - s.min! : 1;
      }
      const rawFill = fillFrom === 'mean' ? mean : fillFrom === 'median' ? (s.median ?? 0) : 0;
      const flag = cfg.missingFlag ?? 'auto';
      const missingFlag = flag === 'auto' ? n < stats.rows : flag;
      return { name, column, kind, scale, center, divisor, fill: (rawFill - center) / divisor, missingFlag, fillFrom };
    }
    default:
      throw new Error(`feature '${name}': unknown kind ${JSON.stringify(kind)} (expected categorical, numeric, multihot or text)`);
  }
}

/** Most frequent first (ties by value, so the order is deterministic). */
function pickVocab(counts: ValueCounts, cfg: FeatureConfig): string[] {
  const minCount = cfg.minCount ?? DEFAULT_MIN_COUNT;
  const entries = counts.filter(([, n]) => n >= minCount);
  entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kept = cfg.maxVocab ? entries.slice(0, cfg.maxVocab) : entries;
  return kept.map(([s]) => s);
}

/** Lower-cased word tokens plus word n-grams up to n. */
export function textGrams(text: string, n: number): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const grams = words.slice();
  for (let k = 2; k <= n; k++) for (let i = 0; i + k <= words.length; i++) grams.push(words.slice(i, i + k).join(' '));
  return grams;
}

/** The encoded column, and how many present values (multi-hot: tags) fell out of the vocabulary. */
function encodeFeature(table: Table, f: FittedFeature): { encoded: EncodedFeature; outOfVocabulary: number } {
  const col = table.column(f.column);
  const n = table.numRows;
  if (f.kind === 'numeric') {
    const { values } = asNumbers(col);
    const width = f.missingFlag ? 2 : 1;
    const out = new Float32Array(n * width);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      const missing = Number.isNaN(v);
      out[i * width] = missing ? f.fill : (v - f.center) / f.divisor;
      if (width === 2) out[i * width + 1] = missing ? 1 : 0;
    }
    return { encoded: { kind: 'numeric', width, values: out }, outOfVocabulary: 0 };
  }
  const view = asStrings(col);
  if (f.kind === 'categorical') {
    const lut = idLookup(f.vocab, f.hashBuckets);
    const perCode = view.dictionary.map(lut);
    const ids = new Int32Array(n);
    let outOfVocabulary = 0;
    for (let i = 0; i < n; i++) {
      const c = view.codes[i];
      ids[i] = c < 0 ? 0 : perCode[c];
      // Hashed ids start at 1, so id 0 on a present value means out of vocabulary.
      if (c >= 0 && ids[i] === 0) outOfVocabulary++;
    }
    return { encoded: { kind: 'categorical', ids }, outOfVocabulary };
  }
  // Bags: the ids of each distinct cell are computed once, then rows are concatenated.
  let bags: Int32Array[];
  if (f.kind === 'multihot') {
    const lut = idLookup(f.vocab, f.hashBuckets);
    bags = view.dictionary.map((s) => Int32Array.from(splitBag(s, f.separator), lut));
  } else {
    const buckets = f.hashBuckets;
    bags = view.dictionary.map((s) => Int32Array.from(textGrams(s, f.ngrams), (g) => 1 + (fnv1a(g) % buckets)));
  }
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + (view.codes[i] < 0 ? 0 : bags[view.codes[i]].length);
  const ids = new Int32Array(offsets[n]);
  for (let i = 0; i < n; i++) if (view.codes[i] >= 0) ids.set(bags[view.codes[i]], offsets[i]);
  let outOfVocabulary = 0;
  // Text ids are hashed (never 0); multi-hot tags out of the vocabulary are 0.
  if (f.kind === 'multihot') for (const id of ids) if (id === 0) outOfVocabulary++;
  return { encoded: { kind: f.kind, ids, offsets }, outOfVocabulary };
}

/** value -> id: 1 + vocabulary index (0 when out of vocabulary), or 1 + hash bucket. */
function idLookup(vocab: string[] | null, hashBuckets: number | null): (s: string) => number {
  if (vocab) {
    const index = new Map(vocab.map((s, i) => [s, i + 1]));
    return (s) => index.get(s) ?? 0;
  }
  const k = hashBuckets!;
  return (s) => 1 + (fnv1a(s) % k);
}

export type { EncodedLabel, FittedTask, TaskConfig, TaskSpec };
