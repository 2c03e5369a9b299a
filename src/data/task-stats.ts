// What fitting a task's label encoder needs of its column, summarised on one part of the
// training rows and merged across parts: labelled rows, the values or classes present (with
// the first row of each where a message lists them in order), and a regression target's
// exact sum. labels.ts fits from the merged summary.
import { asNumbers, asStrings } from './columns.js';
import { ExactSumBuilder, mergeSums, type ExactSum } from '../shared/exact-sum.js';
import { firstExample, rowWhere, type RowExample } from './column-stats.js';
import type { TrainingPart } from './training-parts.js';
import { applyTransform } from '../shared/target.js';
import type { TaskConfig } from './labels.js';

export const DEFAULT_POSITIVE = ['yes', 'y', 'true', 't', '1', 'positive', 'pos'];
export const DEFAULT_NEGATIVE = ['no', 'n', 'false', 'f', '0', 'negative', 'neg'];

/** A binary label as compared: trimmed, lower-cased, and '1.0' / '0.00' read as 1 / 0. */
export const normalizeBinary = (s: string): string => {
  const t = s.trim().toLowerCase();
  const v = Number(t);
  return t !== '' && Number.isFinite(v) && (v === 0 || v === 1) ? String(v) : t;
};

/** value -> 1 (positive), 0 (negative) or -1 (neither), by its normalised text. */
export function binaryValue(positive: readonly string[], negative: readonly string[]): (s: string) => number {
  const pos = new Set(positive);
  const neg = new Set(negative);
  return (s) => {
    const v = normalizeBinary(s);
    return pos.has(v) ? 1 : neg.has(v) ? 0 : -1;
  };
}

export interface TaskSummary {
  /** Rows with a present label cell. */
  labelled: number;
  /** Binary tasks naming only their positive values: each normalised value present, with the key of its first row. */
  firstSeen?: [string, number][];
  /** Multiclass / multilabel tasks without their classes: the classes present (sorted by code unit). */
  classes?: string[];
  /** Regression. */
  target?: TargetSummary;
}

export interface TargetSummary {
  /** Present values of the transformed target, and their exact sum. */
  present: number;
  sum: ExactSum;
  /** The first label that is not a number. */
  notNumber: RowExample | null;
  /** The first label outside the transform's domain (log1p: <= -1). */
  outOfDomain: RowExample | null;
}

export function summarizeTask(part: TrainingPart, config: TaskConfig): TaskSummary {
  const column = config.column ?? config.name;
  const col = part.table.column(column);
  let labelled = 0;
  if (col.type === 'numeric') for (const v of col.values) labelled += Number.isNaN(v) ? 0 : 1;
  else for (const c of col.codes) labelled += c >= 0 ? 1 : 0;
  const summary: TaskSummary = { labelled };
  if (config.type === 'binary' && config.positive && !config.negative) summary.firstSeen = firstSeenValues(part, column);
  if ((config.type === 'multiclass' || config.type === 'multilabel') && !config.classes) summary.classes = classesPresent(part, column, config);
  if (config.type === 'regression') summary.target = summarizeTarget(part, column, config);
  return summary;
}

export function mergeTaskSummaries(a: TaskSummary, b: TaskSummary): TaskSummary {
  const out: TaskSummary = { labelled: a.labelled + b.labelled };
  if (a.firstSeen && b.firstSeen) {
    const first = new Map(a.firstSeen);
    for (const [v, k] of b.firstSeen) first.set(v, Math.min(first.get(v) ?? Infinity, k));
    out.firstSeen = [...first];
  }
  if (a.classes && b.classes) out.classes = [...new Set([...a.classes, ...b.classes])].sort(byCodeUnit);
  if (a.target && b.target)
    out.target = {
      present: a.target.present + b.target.present,
      sum: mergeSums(a.target.sum, b.target.sum),
      notNumber: firstExample(a.target.notNumber, b.target.notNumber),
      outOfDomain: firstExample(a.target.outOfDomain, b.target.outOfDomain),
    };
  return out;
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function firstSeenValues(part: TrainingPart, column: string): [string, number][] {
  const view = asStrings(part.table.column(column));
  const first = new Map<string, number>();
  for (let i = 0; i < view.codes.length; i++) {
    const c = view.codes[i];
    if (c < 0) continue;
    const v = normalizeBinary(view.dictionary[c]);
    const k = part.rowKey(i);
    if (!(first.get(v)! <= k)) first.set(v, k);
  }
  return [...first];
}

function classesPresent(part: TrainingPart, column: string, config: TaskConfig): string[] {
  const view = asStrings(part.table.column(column));
  const separator = config.separator ?? '|';
  const present = new Uint8Array(view.dictionary.length);
  for (const c of view.codes) if (c >= 0) present[c] = 1;
  const seen = new Set<string>();
  view.dictionary.forEach((s, i) => {
    if (!present[i]) return;
    if (config.type === 'multiclass') seen.add(s.trim());
    else for (const tok of s.split(separator)) if (tok.trim()) seen.add(tok.trim());
  });
  return [...seen].sort(byCodeUnit);
}

/** The regression target of each row after its transform (NaN where missing). */
export function targetValues(part: TrainingPart, config: TaskConfig): Float64Array {
  const { values } = asNumbers(part.table.column(config.column ?? config.name));
  const transform = config.transform ?? 'none';
  return values.map((v) => applyTransform(transform, v));
}

function summarizeTarget(part: TrainingPart, column: string, config: TaskConfig): TargetSummary {
  const { values, invalidRows } = asNumbers(part.table.column(column));
  let notNumber: RowExample | null = null;
  for (const i of invalidRows) notNumber = firstExample(notNumber, { key: part.rowKey(i), where: rowWhere(part, i), cell: part.table.cell(i, column) });
  let outOfDomain: RowExample | null = null;
  if (config.transform === 'log1p')
    values.forEach((v, i) => {
      if (!Number.isNaN(v) && !(v > -1)) outOfDomain = firstExample(outOfDomain, { key: part.rowKey(i), where: rowWhere(part, i), cell: `${v}` });
    });
  const sum = new ExactSumBuilder();
  let present = 0;
  for (const v of targetValues(part, config))
    if (!Number.isNaN(v)) {
      present++;
      sum.add(v);
    }
  return { present, sum: sum.finish(), notNumber, outOfDomain };
}

/**
 * A binary task's labels on a part (1, 0, NaN where missing), and the first label that is
 * neither positive nor negative (its row then reads as unlabelled).
 */
export function binaryLabels(part: TrainingPart, column: string, positive: readonly string[], negative: readonly string[]): { labels: Float32Array; notBinary: RowExample | null } {
  const view = asStrings(part.table.column(column));
  const lut = view.dictionary.map(binaryValue(positive, negative));
  const labels = new Float32Array(view.codes.length);
  let notBinary: RowExample | null = null;
  for (let i = 0; i < labels.length; i++) {
    const c = view.codes[i];
    labels[i] = c < 0 || lut[c] < 0 ? NaN : lut[c];
    if (c >= 0 && lut[c] < 0) notBinary = firstExample(notBinary, { key: part.rowKey(i), where: rowWhere(part, i), cell: view.dictionary[c] });
  }
  return { labels, notBinary };
}
