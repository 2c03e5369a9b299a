// report.html of a run: the per-task table, then SVG curves of per-task loss and
// metric, task weights and gradient cosine over training, and gate usage.
import { renderPage, type Block } from '../report/html.js';
import { lineChart, type Series } from '../report/svg.js';
import type { JobConfig } from './config.js';
import { belowConstant, collapsedWeights, conflictSummary, conflictVerdict, deltaM, dominations, reportedMetrics, summaryRows } from './summary.js';
import type { DataSummary, ModelRun } from './run-record.js';

export interface ReportOptions {
  /** The split the table's metrics come from (default 'Test'). */
  split?: string;
  /** Blocks placed before the table (a resumed run's before/after comparison, say). */
  intro?: Block[];
  title?: string;
}

export function renderReport(runs: readonly ModelRun[], config: JobConfig, data: DataSummary | null, options: ReportOptions = {}): string {
  const blocks: Block[] = [...(options.intro ?? [])];
  const seeds = [...new Set(runs.map((r) => r.seed))];
  if (data)
    blocks.push({
      kind: 'text',
      text: `Data: ${data.source}. Rows: ${data.rows.train} train, ${data.rows.validation} validation, ${data.rows.test} test` +
        `${data.badRows ? `; ${data.badRows} bad rows skipped (first: ${data.firstBadRow})` : ''}${data.duplicateRows ? `; ${data.duplicateRows} duplicate rows removed` : ''}. ` +
        `Seeds: ${seeds.join(', ')}. Weighting: ${config.training.weighting}.`,
    });
  const { header, rows } = summaryRows(runs);
  blocks.push({ kind: 'heading', text: `${options.split ?? 'Test'} metrics per task` });
  const compared = runs.some((r) => r.kind === 'single-task') && runs.some((r) => r.kind === 'multi-task');
  const notes = [...(compared ? ['Δ is against the single-task model'] : []), ...(seeds.length > 1 ? [`mean ± std over ${seeds.length} seeds`] : [])];
  blocks.push({ kind: 'table', header, rows, caption: notes.join('; ') });
  for (const warning of belowConstant(runs)) blocks.push({ kind: 'text', text: warning });
  const dm = deltaM(runs);
  if (Object.keys(dm).length)
    blocks.push({ kind: 'table', header: ['model', "Δm (mean relative gain in each task's headline metric, %)"], rows: Object.entries(dm).map(([k, v]) => [k, `${v >= 0 ? '+' : ''}${v.toFixed(2)}`]) });

  for (const r of runs.filter((x) => x.seed === seeds[0])) {
    const title = r.kind === 'single-task' ? `single-task ${r.tasks[0]}` : `${r.architecture} (multi-task)`;
    blocks.push({ kind: 'heading', text: title });
    const epochs = r.history.epochs;
    const x = epochs.map((e) => e.epoch + 1);
    const svgs: string[] = [];
    // Every chart marks the epoch whose weights were kept.
    const markX = r.history.best ? { x: r.history.best.epoch + 1, label: `kept: epoch ${r.history.best.epoch + 1}` } : undefined;
    const loss: Series[] = [];
    r.tasks.forEach((t, k) => {
      loss.push({ name: `${t} train`, x, color: k, values: epochs.map((e) => e.loss[t] ?? NaN) });
      loss.push({ name: `${t} validation`, x, color: k, dashed: true, values: epochs.map((e) => e.validation?.loss[t] ?? NaN) });
    });
    svgs.push(lineChart(loss, { title: 'Loss per task (dashed: validation)', xLabel: 'epoch', yLabel: 'training loss (standardised targets)', markX }));
    // One chart per headline metric, so tasks on different scales never share an axis.
    const byMetric = new Map<string, { task: string; k: number }[]>();
    r.tasks.forEach((t, k) => {
      const m = headline(runs, t);
      if (m) byMetric.set(m, [...(byMetric.get(m) ?? []), { task: t, k }]);
    });
    for (const [m, ts] of byMetric)
      svgs.push(
        lineChart(
          ts.map(({ task, k }) => ({ name: task, x, color: k, values: epochs.map((e) => e.validation?.metrics[task]?.[m] ?? NaN) })),
          { title: `Validation ${m}`, xLabel: 'epoch', yLabel: m, markX },
        ),
      );
    if (r.kind === 'multi-task') {
      svgs.push(
        lineChart(r.tasks.map((t) => ({ name: t, x, values: epochs.map((e) => e.weights[t] ?? NaN) })), {
          title: `Task weights (${r.history.weighting})`,
          xLabel: 'epoch',
          yLabel: 'mean weight in the epoch',
          markX,
        }),
      );
      const pairs = [...new Set(epochs.flatMap((e) => (e.gradientCosines ?? []).map((c) => `${c.a}|${c.b}`)))];
      if (pairs.length)
        svgs.push(
          lineChart(
            pairs.map((p) => {
              const [a, b] = p.split('|');
              return { name: `${a} vs ${b}`, x, values: epochs.map((e) => e.gradientCosines?.find((c) => c.a === a && c.b === b)?.mean ?? NaN) };
            }),
            { title: 'Gradient cosine on shared parameters', xLabel: 'epoch', yLabel: 'mean cosine', zeroLine: true, markX },
          ),
        );
      if (pairs.length)
        svgs.push(
          lineChart(
            pairs.map((p) => {
              const [a, b] = p.split('|');
              return { name: `|${a}| / |${b}|`, x, values: epochs.map((e) => e.gradientCosines?.find((c) => c.a === a && c.b === b)?.normRatio ?? NaN) };
            }),
            { title: 'Gradient norm ratio on shared parameters', xLabel: 'epoch', yLabel: 'ratio (log scale)', logY: true, markX },
          ),
        );
    }
    blocks.push({ kind: 'charts', svgs });
    if (r.kind === 'multi-task') {
      const cos = conflictSummary(r);
      if (cos.length)
        blocks.push({
          kind: 'table',
          caption: `Gradients on the shared parameters (whole training, ${Math.max(...cos.map((c) => c.samples))} sampled steps)`,
          header: ['task pair', 'mean cosine', 'negative steps', 'norm ratio', 'reading'],
          rows: cos.map((c) => [c.pair, c.mean.toFixed(3), `${(c.negative * 100).toFixed(0)}%`, c.normRatio.toFixed(2), conflictVerdict(c.mean)]),
        });
      for (const warning of [...dominations(cos), ...collapsedWeights(r)]) blocks.push({ kind: 'text', text: warning });
      const gates = epochs[epochs.length - 1]?.gateUsage;
      if (gates && Object.keys(gates).length)
        blocks.push({
          kind: 'table',
          caption: 'Gate usage, last epoch (mean weight per expert)',
          header: ['gate', ...gates[Object.keys(gates)[0]].map((_, i) => `expert ${i}`)],
          rows: Object.entries(gates).map(([k, v]) => [k, ...v.map((w) => w.toFixed(3))]),
        });
    }
  }
  return renderPage(options.title ?? 'trunkline run report', blocks);
}

function headline(runs: readonly ModelRun[], task: string): string | undefined {
  return reportedMetrics(runs, task)[0];
}
