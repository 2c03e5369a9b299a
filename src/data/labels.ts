// Task labels per the data contract: binary float32 0/1 (NaN missing), multiclass int32
// (-1 missing), multilabel float32 [N, K] (NaN rows missing), regression float32 (NaN missing).
// Label encoders are fitted on the training split like the features, from statistics of its
// rows (task-stats.ts) that merge across the parts of a distributed run.
import { asNumbers, asStrings } from './columns.js';
import type { Table } from './table.js';
import type { TargetScaler, TargetTransform } from '../shared/target.js';
import { binaryLabelSets, collectFitStats, type TaskStats } from './fit-stats.js';
import { meanOf, stdOf } from '../shared/moments.js';
import { binaryValue } from './task-stats.js';
import { wholeTable } from './training-parts.js';

import type { TaskHeadSpec, TaskType } from '../shared/contract.js';
export type { TaskType } from '../shared/contract.js';

export interface TaskConfig {
  /** The task name (keys `Batch.labels`). */
  name: string;
  /** The label column (defaults to the name). */
  column?: string;
  type: TaskType;
  /** Binary: the values meaning 1 (default yes/true/1/y/t/positive). */
  positive?: string[];
  /** Binary: the values meaning 0 (default no/false/0/n/f/negative; with `positive` given, the one other value seen). */
  negative?: string[];
  /** Multiclass / multilabel: the classes in id order (default: sorted values of the training split). */
  classes?: string[];
  /** Multilabel: separator inside a cell (default '|'). */
  separator?: string;
  /** Regression: 'log1p' for skewed non-negative targets (metrics are then on the log1p scale), or 'none' (default). */
  transform?: TargetTransform;
  /** Regression: 'standard' (default) trains on (target - mean) / std of the labelled training rows; 'none' on the raw target. */
  scale?: 'standard' | 'none';
}

/** A fitted task encoder (JSON-safe). */
export interface FittedTask {
  name: string;
  column: string;
  type: TaskType;
  positive?: string[];
  negative?: string[];
  classes?: string[];
  separator?: string;
  /** Regression: the fitted target scaler (absent in pipelines saved before it existed: raw targets). */
  target?: TargetScaler;
}

/** What the trainer needs to size a head: K for multiclass / multilabel. */
export type TaskSpec = TaskHeadSpec;

export type EncodedLabel =
  | { type: 'binary' | 'regression'; values: Float32Array }
  | { type: 'multiclass'; values: Int32Array }
  | { type: 'multilabel'; width: number; values: Float32Array };

/** Fits a task's label encoder on the training table. */
export function fitTask(train: Table, config: TaskConfig): FittedTask {
  return fitTaskFromStats(collectFitStats(wholeTable(train), { features: [], tasks: [config] }).tasks[0], config, train.file);
}

/** Fits a task's label encoder from the statistics of every training row (`file` names them in messages). */
export function fitTaskFromStats(stats: TaskStats, config: TaskConfig, file: string): FittedTask {
  const column = config.column ?? config.name;
  const base = { name: config.name, column, type: config.type };
  switch (config.type) {
    case 'binary': {
      const sets = binaryLabelSets(config, stats);
      if ('others' in sets)
        throw new Error(
          `${file}, column '${column}': binary task '${config.name}' names its positive values but the column holds ${sets.others.length} other values (${sets.others.slice(0, 5).join(', ')}); give 'negative' too`,
        );
      return { ...base, positive: sets.positive, negative: sets.negative };
    }
    case 'multiclass':
    case 'multilabel': {
      const separator = config.separator ?? '|';
      // The classes present arrive in code-unit order, so ties of the numeric-aware order fall alike everywhere.
      const classes = config.classes ?? [...stats.classes!].sort(compareMaybeNumeric);
      if (classes.length < 2 && config.type === 'multiclass')
        throw new Error(`${file}, column '${column}': multiclass task '${config.name}' needs at least 2 classes, found ${classes.length}`);
      return config.type === 'multilabel' ? { ...base, classes, separator } : { ...base, classes };
    }
    case 'regression':
      return { ...base, target: fitTargetScaler(stats, column, config) };
    default:
      throw new Error(`task '${config.name}': unknown type ${JSON.stringify(config.type)} (expected binary, multiclass, multilabel or regression)`);
  }
}

/** Mean and std of the transformed target over the labelled training rows. */
function fitTargetScaler(stats: TaskStats, column: string, config: TaskConfig): TargetScaler {
  const transform = config.transform ?? 'none';
  if (transform !== 'none' && transform !== 'log1p')
    throw new Error(`task '${config.name}': transform must be 'log1p' or 'none', got ${JSON.stringify(transform)}`);
  const scale = config.scale ?? 'standard';
  if (scale !== 'standard' && scale !== 'none') throw new Error(`task '${config.name}': scale must be 'standard' or 'none', got ${JSON.stringify(scale)}`);
  const target = stats.target!;
  if (target.notNumber) throw new Error(`${target.notNumber.where}, column '${column}': ${notNumberLabel(target.notNumber.cell, config.name)}`);
  if (target.outOfDomain) throw new Error(`${target.outOfDomain.where}, column '${column}': ${outsideLog1p(target.outOfDomain.cell, config.name)}`);
  const n = target.present;
  if (scale === 'none' || n === 0) return { transform, mean: 0, std: 1 };
  const std = stdOf(stats.squaredDeviations!, n);
  return { transform, mean: meanOf(target.sum, n), std: std > 0 ? std : 1 };
}

const notNumberLabel = (cell: string, task: string) => `label '${cell}' is not a number for regression task '${task}'`;
const outsideLog1p = (value: number | string, task: string) => `label ${value} is outside the domain of transform 'log1p' (needs > -1) for regression task '${task}'`;

/** What is wrong with a label that is neither a positive nor a negative value of a binary task. */
export function notBinaryLabel(cell: string, t: FittedTask): string {
  return `label '${cell}' is not binary for binary task '${t.name}' (expected one of ${t.positive!.join('/')} or ${t.negative!.join('/')})`;
}

function compareMaybeNumeric(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function taskSpec(t: FittedTask): TaskSpec {
  const outputs = t.type === 'multiclass' || t.type === 'multilabel' ? t.classes!.length : 1;
  if (t.classes) return { name: t.name, type: t.type, outputs, classes: t.classes.slice() };
  return t.target ? { name: t.name, type: t.type, outputs, target: { ...t.target } } : { name: t.name, type: t.type, outputs };
}

/** Encodes one task's labels; a value that does not fit the task is an error naming file, line and column. */
export function encodeTask(table: Table, t: FittedTask): EncodedLabel {
  return encodeTaskCounted(table, t).label;
}

/**
 * encodeTask, and how many labels name a class the training split never had (multiclass:
 * rows, multilabel: labels); those are masked out like missing labels, so callers report them.
 */
export function encodeTaskCounted(table: Table, t: FittedTask): { label: EncodedLabel; unseenClasses: number } {
  let unseenClasses = 0;
  const label = encodeLabels(table, t, (n) => (unseenClasses += n));
  return { label, unseenClasses };
}

function encodeLabels(table: Table, t: FittedTask, countUnseen: (n: number) => void): EncodedLabel {
  const col = table.column(t.column);
  const n = table.numRows;
  const bad = (row: number, what: string) =>
    new Error(`${table.where(row)}, column '${t.column}': ${what}`);
  switch (t.type) {
    case 'binary': {
      const view = asStrings(col);
      const lut = view.dictionary.map(binaryValue(t.positive!, t.negative!));
      const values = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const c = view.codes[i];
        if (c < 0) values[i] = NaN;
        else if (lut[c] < 0)
          throw bad(i, notBinaryLabel(view.dictionary[c], t));
        else values[i] = lut[c];
      }
      return { type: 'binary', values };
    }
    case 'regression': {
      const { values, invalidRows } = asNumbers(col);
      if (invalidRows.length) throw bad(invalidRows[0], notNumberLabel(table.cell(invalidRows[0], t.column), t.name));
      if (t.target?.transform === 'log1p')
        for (let i = 0; i < n; i++)
          if (values[i] <= -1) throw bad(i, outsideLog1p(values[i], t.name));
      return { type: 'regression', values: Float32Array.from(values) };
    }
    case 'multiclass': {
      const view = asStrings(col);
      const ids = new Map(t.classes!.map((c, i) => [c, i]));
      const lut = view.dictionary.map((s) => ids.get(s.trim()) ?? -1);
      const values = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const c = view.codes[i];
        // A class never seen in training is masked out (-1) like a missing label, and counted.
        values[i] = c < 0 ? -1 : lut[c];
        if (c >= 0 && lut[c] < 0) countUnseen(1);
      }
      return { type: 'multiclass', values };
    }
    case 'multilabel': {
      const view = asStrings(col);
      const k = t.classes!.length;
      const ids = new Map(t.classes!.map((c, i) => [c, i]));
      const tokens = view.dictionary.map((s) => s.split(t.separator ?? '|').filter((x) => x.trim()));
      const sets = tokens.map((ts) => ts.map((x) => ids.get(x.trim()) ?? -1).filter((x) => x >= 0));
      const values = new Float32Array(n * k);
      for (let i = 0; i < n; i++) {
        const c = view.codes[i];
        if (c < 0) values.fill(NaN, i * k, i * k + k);
        else {
          for (const j of sets[c]) values[i * k + j] = 1;
          countUnseen(tokens[c].length - sets[c].length);
        }
      }
      return { type: 'multilabel', width: k, values };
    }
  }
}
