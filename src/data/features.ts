// Feature columns fitted on the training split and re-applied exactly to new rows:
// categorical ids (vocabulary with min-count and an OOV bucket, or hashing), numeric values
// (standardised or min-max, missing filled and flagged), and bags of ids for multi-hot and
// text cells (EmbeddingBag inputs). A fitted pipeline round-trips through JSON.
import { asNumbers, asStrings, fnv1a } from './columns.js';
import { encodeTask, fitTask, taskSpec, type EncodedLabel, type FittedTask, type TaskConfig, type TaskSpec } from './labels.js';
import type { ColumnType, Table } from './table.js';

export type FeatureKind = ColumnType;

export interface FeatureConfig {
  /** The feature name (keys `Batch.inputs`). */
  name: string;
  /** The source column (defaults to the name). */
  column?: string;
  /** Defaults to the column's type in the training table. */
  kind?: FeatureKind;
  /** Categorical / multi-hot: values seen fewer times go to the OOV bucket (default 1). */
  minCount?: number;
  /** Categorical / multi-hot: keep at most this many most frequent values. */
  maxVocab?: number;
  /** Categorical / multi-hot: hash values into this many buckets instead of a vocabulary; text: buckets (default 16384). */
  hashBuckets?: number;
  /** Numeric: 'standard' (default), 'minmax' or 'none'. */
  scale?: 'standard' | 'minmax' | 'none';
  /** Numeric: missing values take the training mean (default) or 0 (both before scaling). */
  fill?: 'mean' | 'zero';
  /** Numeric: add a 0/1 missing-flag column; 'auto' (default) adds it when the training split has missing values. */
  missingFlag?: boolean | 'auto';
  /** Multi-hot: separator inside a cell (default '|'). */
  separator?: string;
  /** Text: word n-grams up to this length (default 2). */
  ngrams?: number;
}

/** The contract's feature spec: what an input layer needs to size itself. */
export type FeatureSpec =
  | { name: string; kind: 'categorical'; cardinality: number }
  | { name: string; kind: 'numeric'; width: number }
  | { name: string; kind: 'multihot' | 'text'; cardinality: number };

/** A fitted feature (JSON-safe). */
export type FittedFeature =
  | { name: string; column: string; kind: 'categorical'; vocab: string[] | null; hashBuckets: number | null }
  | { name: string; column: string; kind: 'numeric'; scale: 'standard' | 'minmax' | 'none'; center: number; divisor: number; fill: number; missingFlag: boolean }
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

export class FeaturePipeline {
  private constructor(
    readonly features: readonly FittedFeature[],
    readonly tasks: readonly FittedTask[],
  ) {}

  /** Fits vocabularies, scalers and label encoders on the training table. */
  static fit(train: Table, options: FitOptions = {}): FeaturePipeline {
    const tasks = (options.tasks ?? []).map((t) => t);
    train.requireColumns([...tasks.map((t) => t.column ?? t.name), ...(options.features ?? []).map((f) => f.column ?? f.name)]);
    checkUnique(tasks.map((t) => t.name), 'task');
    let configs = options.features;
    if (!configs) {
      const skip = new Set([...tasks.map((t) => t.column ?? t.name), ...(options.exclude ?? [])]);
      configs = train.columns.filter((c) => !skip.has(c.name)).map((c) => ({ ...options.defaults, name: c.name }));
    }
    if (configs.length === 0) throw new Error(`${train.file}: no input features (every column is a task or excluded)`);
    checkUnique(configs.map((f) => f.name), 'feature');
    const features = configs.map((f) => fitFeature(train, f));
    return new FeaturePipeline(features, tasks.map((t) => fitTask(train, t)));
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
    for (const f of this.features) features[f.name] = encodeFeature(table, f);
    const labels: Record<string, EncodedLabel> = {};
    for (const t of tasks) labels[t.name] = encodeTask(table, t);
    return {
      numRows: table.numRows,
      features,
      labels,
      featureSpecs: this.featureSpecs,
      taskSpecs: tasks.map(taskSpec),
      lineNumbers: table.lineNumbers,
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
      // id 0 is the OOV / missing bucket; vocabulary ids or hash buckets follow.
      return { name: f.name, kind: f.kind, cardinality: 1 + (f.vocab ? f.vocab.length : f.hashBuckets!) };
  }
}

function fitFeature(train: Table, cfg: FeatureConfig): FittedFeature {
  const column = cfg.column ?? cfg.name;
  const col = train.column(column);
  const kind = cfg.kind ?? col.type;
  const name = cfg.name;
  const positiveInt = (v: number | undefined, what: string) => {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new Error(`feature '${name}': ${what} must be a positive integer, got ${v}`);
    return v;
  };
  positiveInt(cfg.minCount, 'minCount');
  positiveInt(cfg.maxVocab, 'maxVocab');
  positiveInt(cfg.hashBuckets, 'hashBuckets');
  switch (kind) {
    case 'categorical': {
      if (cfg.hashBuckets) return { name, column, kind, vocab: null, hashBuckets: cfg.hashBuckets };
      const view = asStrings(col);
      const counts = new Map<string, number>();
      const perCode = new Int32Array(view.dictionary.length);
      for (const c of view.codes) if (c >= 0) perCode[c]++;
      perCode.forEach((n, c) => n && counts.set(view.dictionary[c], (counts.get(view.dictionary[c]) ?? 0) + n));
      return { name, column, kind, vocab: pickVocab(counts, cfg), hashBuckets: null };
    }
    case 'multihot': {
      const separator = cfg.separator ?? '|';
      if (cfg.hashBuckets) return { name, column, kind, vocab: null, hashBuckets: cfg.hashBuckets, separator };
      const view = asStrings(col);
      const perCode = new Int32Array(view.dictionary.length);
      for (const c of view.codes) if (c >= 0) perCode[c]++;
      const counts = new Map<string, number>();
      perCode.forEach((n, c) => {
        if (n) for (const tok of splitBag(view.dictionary[c], separator)) counts.set(tok, (counts.get(tok) ?? 0) + n);
      });
      return { name, column, kind, vocab: pickVocab(counts, cfg), hashBuckets: null, separator };
    }
    case 'text': {
      const ngrams = cfg.ngrams ?? 2;
      if (!(Number.isInteger(ngrams) && ngrams >= 1)) throw new Error(`feature '${name}': ngrams must be a positive integer, got ${ngrams}`);
      return { name, column, kind, hashBuckets: cfg.hashBuckets ?? TEXT_BUCKETS, ngrams };
    }
    case 'numeric': {
      const scale = cfg.scale ?? 'standard';
      if (!['standard', 'minmax', 'none'].includes(scale)) throw new Error(`feature '${name}': scale must be 'standard', 'minmax' or 'none', got ${JSON.stringify(scale)}`);
      const { values } = asNumbers(col);
      let n = 0;
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) {
        if (Number.isNaN(v)) continue;
        n++;
        sum += v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const mean = n ? sum / n : 0;
      let ss = 0;
      for (const v of values) if (!Number.isNaN(v)) ss += (v - mean) * (v - mean);
      const std = n ? Math.sqrt(ss / n) : 0;
      let center = 0;
      let divisor = 1;
      if (scale === 'standard') {
        center = mean;
        divisor = std > 0 ? std : 1;
      } else if (scale === 'minmax') {
        center = n ? min : 0;
        divisor = n && max > min ? max - min : 1;
      }
      const rawFill = (cfg.fill ?? 'mean') === 'mean' ? mean : 0;
      const flag = cfg.missingFlag ?? 'auto';
      const missingFlag = flag === 'auto' ? n < values.length : flag;
      return { name, column, kind, scale, center, divisor, fill: (rawFill - center) / divisor, missingFlag };
    }
    default:
      throw new Error(`feature '${name}': unknown kind ${JSON.stringify(kind)} (expected categorical, numeric, multihot or text)`);
  }
}

/** Most frequent first (ties by value, so the order is deterministic). */
function pickVocab(counts: Map<string, number>, cfg: FeatureConfig): string[] {
  const minCount = cfg.minCount ?? 1;
  const entries = [...counts].filter(([, n]) => n >= minCount);
  entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kept = cfg.maxVocab ? entries.slice(0, cfg.maxVocab) : entries;
  return kept.map(([s]) => s);
}

function splitBag(cell: string, separator: string): string[] {
  const out: string[] = [];
  for (const t of cell.split(separator)) {
    const s = t.trim();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** Lower-cased word tokens plus word n-grams up to n. */
export function textGrams(text: string, n: number): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const grams = words.slice();
  for (let k = 2; k <= n; k++) for (let i = 0; i + k <= words.length; i++) grams.push(words.slice(i, i + k).join(' '));
  return grams;
}

function encodeFeature(table: Table, f: FittedFeature): EncodedFeature {
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
    return { kind: 'numeric', width, values: out };
  }
  const view = asStrings(col);
  if (f.kind === 'categorical') {
    const lut = idLookup(f.vocab, f.hashBuckets);
    const perCode = view.dictionary.map(lut);
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) ids[i] = view.codes[i] < 0 ? 0 : perCode[view.codes[i]];
    return { kind: 'categorical', ids };
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
  return { kind: f.kind, ids, offsets };
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
