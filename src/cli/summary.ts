// The per-task table printed at the end of a run: each metric for single-task and
// every multi-task model (mean ± std over seeds), the delta against single-task, the
// task weights and the gradient conflict.
import { beats, metricDirection, multiTaskGain } from '../metrics/index.js';
import { presentStats } from '../shared/stats.js';
import type { JobConfig } from './config.js';
import type { ModelRun } from './run-record.js';

export interface Cell {
  mean: number;
  std: number;
  n: number;
}

function stats(values: number[]): Cell {
  const s = presentStats(values.filter(Number.isFinite));
  return { mean: s.n ? s.mean : NaN, std: s.sampleStd, n: s.n };
}

/** "1 epoch", "2 epochs". */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function fmtCell(c: Cell, digits = 3): string {
  if (!Number.isFinite(c.mean)) return '-';
  return c.n > 1 ? `${c.mean.toFixed(digits)} ± ${c.std.toFixed(digits)}` : c.mean.toFixed(digits);
}

/** Model labels in display order: 'single-task' first, then each multi-task architecture. */
export function modelLabels(runs: readonly ModelRun[]): string[] {
  const labels = new Set<string>();
  if (runs.some((r) => r.kind === 'single-task')) labels.add('single-task');
  for (const r of runs) if (r.kind === 'multi-task') labels.add(r.architecture);
  return [...labels];
}

/** The test value of `metric` for `task` under model `label`, over seeds. */
export function testCell(runs: readonly ModelRun[], label: string, task: string, metric: string): Cell {
  const pick = runs.filter((r) => (label === 'single-task' ? r.kind === 'single-task' : r.kind === 'multi-task' && r.architecture === label) && r.tasks.includes(task));
  return stats(pick.map((r) => r.test.metrics[task]?.[metric] ?? NaN));
}

/** The metrics shown for a task: its headline first (AUC, accuracy or RMSE), at most three. */
export function reportedMetrics(runs: readonly ModelRun[], task: string): string[] {
  const r = runs.find((x) => x.tasks.includes(task) && x.test.metrics[task]);
  if (!r) return [];
  const names = Object.keys(r.test.metrics[task]);
  const preferred = names.includes('auc')
    ? ['auc', 'logloss', 'f1'] // binary
    : names.includes('accuracy')
      ? ['accuracy', 'f1Macro', 'logloss'] // multiclass
      : ['rmse', 'mae', 'score']; // regression; score = 1 - RMSE/std, 0 for a constant predictor
  const shown = preferred.filter((m) => names.includes(m));
  return shown.length ? shown : names.slice(0, 3);
}

/** Rows of the per-task table: [task, metric, single, arch1 (Δ), ...]. */
export function summaryRows(runs: readonly ModelRun[]): { header: string[]; rows: string[][] } {
  const labels = modelLabels(runs);
  const tasks = [...new Set(runs.flatMap((r) => r.tasks))];
  const header = ['task', 'metric', ...labels.map((l) => (l === 'single-task' ? l : `${l} (Δ)`))];
  const rows: string[][] = [];
  for (const task of tasks) {
    for (const metric of reportedMetrics(runs, task)) {
      const base = testCell(runs, 'single-task', task, metric);
      const row = [task, metric];
      for (const l of labels) {
        const c = testCell(runs, l, task, metric);
        let cell = fmtCell(c);
        if (l !== 'single-task' && Number.isFinite(base.mean) && Number.isFinite(c.mean)) {
          const d = c.mean - base.mean;
          const better = metricDirection(metric) === 'higher' ? d > 0 : d < 0;
          cell += ` (${d >= 0 ? '+' : ''}${d.toFixed(3)}${Math.abs(d) < 5e-4 ? '' : better ? ' better' : ' worse'})`;
        }
        row.push(cell);
      }
      rows.push(row);
    }
  }
  return { header, rows };
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * Mean relative gain (%) of each multi-task model over single-task, over each task's
 * headline metric (the first reported: AUC, accuracy or RMSE). Losses are left out: a
 * relative change of a near-zero loss would swamp the mean.
 */
export function deltaM(runs: readonly ModelRun[]): Record<string, number> {
  const out: Record<string, number> = {};
  const tasks = [...new Set(runs.flatMap((r) => r.tasks))];
  for (const l of modelLabels(runs).filter((x) => x !== 'single-task')) {
    // { task: { headline: mean over seeds } } for both sides, then the library's Δm.
    const multi: Record<string, Record<string, number>> = {};
    const single: Record<string, Record<string, number>> = {};
    for (const task of tasks) {
      const metric = reportedMetrics(runs, task)[0];
      if (!metric) continue;
      const b = testCell(runs, 'single-task', task, metric).mean;
      const m = testCell(runs, l, task, metric).mean;
      if (!Number.isFinite(b) || !Number.isFinite(m) || b === 0) continue;
      single[task] = { [metric]: b };
      multi[task] = { [metric]: m };
    }
    if (Object.keys(single).length) out[l] = multiTaskGain(multi, single).deltaM;
  }
  return out;
}

/** The unit of each regression task's RMSE and MAE, in words. */
export function regressionUnits(config: JobConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of config.tasks)
    if (t.type === 'regression') out[t.name] = t.transform === 'log1p' ? `log1p of column '${t.column ?? t.name}'` : `the units of column '${t.column ?? t.name}'`;
  return out;
}

export function printSummary(runs: readonly ModelRun[], config: JobConfig, log: (s: string) => void): void {
  const seeds = new Set(runs.map((r) => r.seed)).size;
  const { header, rows } = summaryRows(runs);
  const hasBaselines = runs.some((r) => r.kind === 'single-task');
  const hasMulti = runs.some((r) => r.kind === 'multi-task');
  log(`\nTest metrics per task${seeds > 1 ? ` (mean ± std over ${seeds} seeds)` : ''}${hasBaselines && hasMulti ? '; Δ is against the single-task model' : ''}:\n`);
  log(formatTable(header, rows));
  const units = Object.entries(regressionUnits(config));
  log('');
  if (units.length) log(`RMSE and MAE: ${units.map(([t, u]) => `${t} in ${u}`).join('; ')}; score = 1 - RMSE/std of the target (0: predicting the mean).`);
  const monitors = [...new Set(runs.map((r) => r.monitor))];
  if (monitors.length) log(`Early stopping and the kept checkpoint followed the ${monitors.join('; ')}.`);
  for (const w of belowConstant(runs)) log(`! ${w}`);
  const sizes = modelLabels(runs).map((l) => {
    const r = runs.find((x) => (l === 'single-task' ? x.kind === 'single-task' : x.kind === 'multi-task' && x.architecture === l));
    if (!r) return '';
    if (l !== 'single-task') return `${l} ${r.parameters}`;
    const per = [...new Set(runs.filter((x) => x.kind === 'single-task').map((x) => x.parameters))];
    return `single-task ${per.join('/')} each`;
  });
  log(`Parameters: ${sizes.filter(Boolean).join(', ')}.`);
  const dm = deltaM(runs);
  if (Object.keys(dm).length)
    log(`\nΔm (mean relative gain in each task's headline metric over single-task): ${Object.entries(dm).map(([k, v]) => `${k} ${v >= 0 ? '+' : ''}${v.toFixed(2)}%`).join(', ')}`);
  for (const r of runs.filter((x) => x.kind === 'multi-task' && x.seed === runs[0].seed)) {
    const last = r.history.epochs[r.history.epochs.length - 1];
    if (!last) continue;
    log(`\n${r.architecture}: ${plural(r.history.epochs.length, 'epoch')}, ${r.seconds.toFixed(1)} s${r.history.best ? `, best epoch ${r.history.best.epoch + 1}` : ''}`);
    log(`  task weights (${r.history.weighting}, last epoch): ${Object.entries(last.weights).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}`);
    for (const w of collapsedWeights(r)) log(`  ! ${w}`);
    const cos = conflictSummary(r);
    if (cos.length) {
      const samples = Math.max(...cos.map((c) => c.samples));
      log(`  gradients on the shared parameters (${samples} sampled steps; cosine mean and share < 0; norm ratio, geometric mean):`);
      for (const c of cos)
        log(`    ${c.pair.padEnd(20)} ${c.mean >= 0 ? '+' : ''}${c.mean.toFixed(3)}   negative ${(c.negative * 100).toFixed(0)}%   norms ${fmtRatio(c.normRatio)}   ${conflictVerdict(c.mean)}`);
      for (const d of dominations(cos)) log(`  ! ${d}`);
    }
    const gates = last.gateUsage;
    if (gates && Object.keys(gates).length)
      log(`  gate usage (last epoch, mean weight per expert): ${Object.entries(gates).map(([k, v]) => `${k} [${v.map((x) => x.toFixed(2)).join(' ')}]`).join('; ')}`);
  }
  void config;
}

/** What a mean gradient cosine says about a task pair. */
export function conflictVerdict(cosine: number): string {
  if (cosine <= -0.05) return 'the tasks fight';
  if (cosine < 0.05) return 'nearly orthogonal: little to share';
  return 'the tasks help each other';
}

export interface PairSummary {
  pair: string;
  a: string;
  b: string;
  /** Mean cosine. */
  mean: number;
  /** Share of sampled steps with a negative cosine. */
  negative: number;
  /** Geometric mean of |grad a| / |grad b|. */
  normRatio: number;
  samples: number;
}

/** Gradient cosine and norm ratio per task pair, over every sampled step of training. */
export function conflictSummary(r: ModelRun): PairSummary[] {
  const acc = new Map<string, { a: string; b: string; sum: number; neg: number; logRatio: number; n: number }>();
  for (const e of r.history.epochs)
    for (const c of e.gradientCosines ?? []) {
      const key = `${c.a} vs ${c.b}`;
      const a = acc.get(key) ?? { a: c.a, b: c.b, sum: 0, neg: 0, logRatio: 0, n: 0 };
      a.sum += c.mean * c.samples;
      a.neg += c.negativeFraction * c.samples;
      // Runs recorded before norms were sampled have no ratio: count it as 1.
      a.logRatio += Math.log(c.normRatio ?? 1) * c.samples;
      a.n += c.samples;
      acc.set(key, a);
    }
  return [...acc.entries()]
    .filter(([, a]) => a.n > 0)
    .map(([pair, a]) => ({ pair, a: a.a, b: a.b, mean: a.sum / a.n, negative: a.neg / a.n, normRatio: Math.exp(a.logRatio / a.n), samples: a.n }));
}

/** 1.8, 24.3, 1,540,327: one decimal while it is readable. */
export function fmtTimes(r: number): string {
  return r < 100 ? r.toFixed(1) : Math.round(r).toLocaleString('en-US');
}

function fmtRatio(r: number): string {
  return r >= 1 ? `${fmtTimes(r)}:1` : `1:${fmtTimes(1 / r)}`;
}

/** A task whose gradient on the shared layers is this many times another's owns them. */
export const DOMINATION_RATIO = 5;

/** Warnings for task pairs where one gradient is more than DOMINATION_RATIO times the other's. */
export function dominations(pairs: readonly PairSummary[]): string[] {
  const out: string[] = [];
  for (const p of pairs) {
    const [big, small, r] = p.normRatio >= 1 ? [p.a, p.b, p.normRatio] : [p.b, p.a, 1 / p.normRatio];
    if (r <= DOMINATION_RATIO) continue;
    out.push(
      `${big} dominates the shared layers: ${fmtTimes(r)}x ${small}'s gradient. Try a weighting that balances gradients ` +
        `(--weighting uncertainty or gradnorm), a lower tasks[].weight for ${big}, and for a regression task keep its target ` +
        `standardised (tasks[].scale "standard", the default) or add "transform": "log1p" for a skewed one.`,
    );
  }
  return out;
}

/** The metrics checked against the constant predictor: each is one a constant can score on. */
const FLOOR_METRICS = ['logloss', 'rmse', 'auc'];

/**
 * Models no better on test than a predictor that ignores its inputs (the training rate,
 * class shares or mean), per model and task, over seeds: the run would mislead the user if
 * it said nothing. AUC at 0.5 is no ranking; logloss or RMSE above the constant's is worse
 * than predicting the average.
 */
export function belowConstant(runs: readonly ModelRun[]): string[] {
  const out: string[] = [];
  for (const label of modelLabels(runs)) {
    const mine = runs.filter((r) => (label === 'single-task' ? r.kind === 'single-task' : r.kind === 'multi-task' && r.architecture === label));
    const tasks = [...new Set(mine.flatMap((r) => r.tasks))];
    for (const task of tasks)
      for (const metric of FLOOR_METRICS) {
        const pairs = mine.filter((r) => r.tasks.includes(task)).map((r) => [r.test.metrics[task]?.[metric], r.constant?.[task]?.[metric]] as const);
        if (!pairs.length || pairs.some(([m, c]) => !Number.isFinite(m) || !Number.isFinite(c))) continue;
        const model = pairs.reduce((a, [m]) => a + m!, 0) / pairs.length;
        const constant = pairs.reduce((a, [, c]) => a + c!, 0) / pairs.length;
        if (beats(metric, model, constant)) continue;
        const what = metric === 'auc' ? 'AUC' : metric === 'rmse' ? 'RMSE' : metric;
        const hint =
          metric === 'logloss'
            ? 'its probabilities are worse calibrated than the training rate; AUC-based early stopping does not see calibration, so when probabilities matter set training.monitor to "loss"'
            : metric === 'rmse'
              ? 'check the features and the target transform (a skewed positive target often needs "transform": "log1p")'
              : 'it does not rank the rows at all; check the features and the labels';
        out.push(`${label}: ${task}'s test ${what} ${model.toFixed(4)} is no better than a constant predictor's ${constant.toFixed(4)}${pairs.length > 1 ? ` (means over ${pairs.length} seeds)` : ''}: ${hint}.`);
      }
  }
  return out;
}

/** Tasks whose weight fell to near zero (under 1% of the largest) in the last epoch. */
export function collapsedWeights(r: ModelRun): string[] {
  const last = r.history.epochs.at(-1);
  if (!last) return [];
  const w = Object.entries(last.weights);
  const max = Math.max(...w.map(([, v]) => v));
  if (!(max > 0)) return [];
  return w
    .filter(([, v]) => v < 0.01 * max)
    .map(([t, v]) => `${t}'s weight fell to ${v.toFixed(3)} under ${r.history.weighting} weighting (largest ${max.toFixed(3)}): ${t} was barely trained; try equal or uncertainty weighting`);
}
