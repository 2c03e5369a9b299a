// `trunkline ab-report --feedback-dir DIR`: per A/B arm and task, the served predictions
// in the feedback log against the labels that came back: AUC and log loss (binary), log
// loss and accuracy (multiclass), RMSE (regression), each with a 95% confidence interval
// from a normal approximation (Hanley-McNeil for AUC, the delta method for RMSE).
import { rocAuc } from '../metrics/index.js';
import { readFeedback, type FeedbackEntry } from './feedback-read.js';

const Z = 1.959964;
const EPS = 1e-7;

export interface MetricEstimate {
  value: number;
  low: number;
  high: number;
  /** Standard error (for RMSE, of the MSE's square root by the delta method). */
  se: number;
}

/** An arm against the first arm (the control), per task and metric: value - control's. */
export interface ArmDifference {
  arm: string;
  control: string;
  task: string;
  metric: string;
  difference: MetricEstimate;
}

export interface AbReportRow {
  arm: string;
  models: string[];
  task: string;
  rows: number;
  metrics: Record<string, MetricEstimate>;
}

export interface AbReport {
  files: string[];
  entries: number;
  skippedLines: number;
  rows: AbReportRow[];
  differences: ArmDifference[];
}

export function abReport(paths: readonly string[]): AbReport {
  const read = readFeedback(paths);
  const groups = new Map<string, FeedbackEntry[]>();
  for (const e of read.entries) {
    const g = groups.get(e.arm);
    if (g) g.push(e);
    else groups.set(e.arm, [e]);
  }
  const rows: AbReportRow[] = [];
  for (const [arm, entries] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const tasks = new Set<string>();
    for (const e of entries) for (const [t, v] of Object.entries(e.labels ?? {})) if (v !== null) tasks.add(t);
    for (const task of [...tasks].sort()) {
      const labelled = entries.filter((e) => e.labels?.[task] !== null && e.labels?.[task] !== undefined && e.prediction?.[task]);
      const metrics = taskMetrics(labelled, task);
      if (metrics) rows.push({ arm, models: [...new Set(labelled.map((e) => e.model))], task, rows: labelled.length, metrics });
    }
  }
  return { files: read.files, entries: read.entries.length, skippedLines: read.skipped.length, rows, differences: differences(rows) };
}

/** Each arm minus the first (alphabetical) arm; the arms' samples are independent, so the variances add. */
function differences(rows: readonly AbReportRow[]): ArmDifference[] {
  const arms = [...new Set(rows.map((r) => r.arm))];
  if (arms.length < 2) return [];
  const control = arms[0];
  const out: ArmDifference[] = [];
  for (const r of rows) {
    if (r.arm === control) continue;
    const c = rows.find((x) => x.arm === control && x.task === r.task);
    if (!c) continue;
    for (const [metric, e] of Object.entries(r.metrics)) {
      const ce = c.metrics[metric];
      if (!ce) continue;
      const value = e.value - ce.value;
      const se = Math.sqrt(e.se ** 2 + ce.se ** 2);
      out.push({ arm: r.arm, control, task: r.task, metric, difference: { value, se, low: value - Z * se, high: value + Z * se } });
    }
  }
  return out;
}

function taskMetrics(entries: FeedbackEntry[], task: string): Record<string, MetricEstimate> | null {
  const first = entries[0]?.prediction[task] as Record<string, unknown> | undefined;
  if (!first) return null;
  if ('probability' in first) {
    const y = entries.map((e) => Number(e.labels[task]));
    const p = entries.map((e) => (e.prediction[task] as { probability: number }).probability);
    const ll = y.map((yi, i) => -(yi * Math.log(clip(p[i])) + (1 - yi) * Math.log(clip(1 - p[i]))));
    return { auc: aucEstimate(y, p), logloss: meanEstimate(ll) };
  }
  if ('probabilities' in first) {
    const ll: number[] = [];
    const hit: number[] = [];
    for (const e of entries) {
      const a = e.prediction[task] as { class: string; probabilities: Record<string, number> };
      const label = String(e.labels[task]);
      ll.push(-Math.log(clip(a.probabilities[label] ?? 0)));
      hit.push(a.class === label ? 1 : 0);
    }
    return { logloss: meanEstimate(ll), accuracy: meanEstimate(hit) };
  }
  if ('value' in first) {
    const sq = entries.map((e) => ((e.prediction[task] as { value: number }).value - Number(e.labels[task])) ** 2);
    const mse = meanEstimate(sq);
    const rmse = Math.sqrt(mse.value);
    return { rmse: { value: rmse, low: Math.sqrt(Math.max(0, mse.low)), high: Math.sqrt(mse.high), se: rmse > 0 ? mse.se / (2 * rmse) : 0 } };
  }
  return null;
}

const clip = (p: number): number => Math.min(1 - EPS, Math.max(EPS, p));

function meanEstimate(xs: readonly number[]): MetricEstimate {
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const variance = n > 1 ? xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
  const se = Math.sqrt(variance / n);
  return { value: mean, low: mean - Z * se, high: mean + Z * se, se };
}

/** AUC with the Hanley-McNeil (1982) standard error; NaN when one class is absent. */
function aucEstimate(y: readonly number[], p: readonly number[]): MetricEstimate {
  const pos = y.filter((v) => v === 1).length;
  const neg = y.length - pos;
  if (pos === 0 || neg === 0) return { value: NaN, low: NaN, high: NaN, se: NaN };
  const a = rocAuc(Float64Array.from(y), Float64Array.from(p));
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  const se = Math.sqrt((a * (1 - a) + (pos - 1) * (q1 - a * a) + (neg - 1) * (q2 - a * a)) / (pos * neg));
  return { value: a, low: Math.max(0, a - Z * se), high: Math.min(1, a + Z * se), se };
}

export function formatAbReport(r: AbReport): string {
  const lines = [`${r.entries} feedback rows from ${r.files.length} file(s)${r.skippedLines ? `, ${r.skippedLines} unfinished or unreadable line(s) skipped` : ''}`, ''];
  const table: string[][] = [['arm', 'task', 'rows', 'metric', 'value', '95% CI', 'models']];
  for (const row of r.rows)
    for (const [m, e] of Object.entries(row.metrics))
      table.push([row.arm, row.task, String(row.rows), m, e.value.toFixed(4), `[${e.low.toFixed(4)}, ${e.high.toFixed(4)}]`, row.models.join(' ')]);
  lines.push(...aligned(table));
  if (!r.rows.length) lines.push('(no labelled rows)');
  if (r.differences.length) {
    lines.push('', `Against arm ${r.differences[0].control} (difference, 95% CI; an interval without 0 is a difference beyond noise):`, '');
    const diff: string[][] = [['arm', 'task', 'metric', 'difference', '95% CI']];
    for (const d of r.differences) {
      const e = d.difference;
      diff.push([d.arm, d.task, d.metric, signed(e.value), `[${signed(e.low)}, ${signed(e.high)}]`]);
    }
    lines.push(...aligned(diff));
  }
  return lines.join('\n');
}

const signed = (v: number): string => (v >= 0 ? '+' : '') + v.toFixed(4);

function aligned(table: string[][]): string[] {
  const widths = table[0].map((_, c) => Math.max(...table.map((t) => t[c].length)));
  const out: string[] = [];
  for (const [i, t] of table.entries()) {
    out.push(t.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
    if (i === 0) out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  return out;
}
