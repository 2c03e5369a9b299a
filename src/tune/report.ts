// report.html of a search: the chosen trials on validation and test, every trial in a table
// (the Pareto front and the best marked), and for each pair of tasks an SVG scatter of the
// trials' validation metrics with that pair's Pareto front drawn as a step line. No scripts.
import { renderPage, type Block } from '../report/html.js';
import { escapeXml } from '../report/svg.js';
import { front2d, type Point } from './pareto.js';
import { headlineValues, oriented, type TaskMetricValues, type TaskObjective } from './objective.js';
import { showValue, type Params } from './space.js';
import type { SearchOutcome, SearchSettings } from './search.js';

export interface ChosenTrial {
  trial: number;
  roles: string[];
  params: Params;
  validation: TaskMetricValues | null;
  test: TaskMetricValues | null;
  deltaM: { validation: number | null; test: number | null };
}

const fmt = (v: number | null | undefined, digits = 4) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));
const pct = (v: number | null) => (v === null ? '-' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}%`);

export function renderTuneReport(o: SearchOutcome, settings: SearchSettings, chosen: readonly ChosenTrial[]): string {
  const { objectives } = o;
  const blocks: Block[] = [];
  // The space's paths (trial 0's unset fields have no value in its params).
  const paths = Object.keys(settings.space as Record<string, unknown>);
  blocks.push({
    kind: 'text',
    text: `${settings.search} search over ${paths.join(', ')}; ${o.trials.length} trials (trial 0 is the config as given), ${settings.parallel} worker processes, seed ${settings.seed}` +
      `${settings.asha ? `, successive halving from ${settings.asha.minEpochs} epochs with eta ${settings.asha.eta}` : ''}; objective '${settings.objective}'. ` +
      `Metrics: ${objectives.map((x) => `${x.task} ${x.metric}`).join(', ')}. Trials were trained on the training split and compared on the validation split; ` +
      `only the chosen trials were evaluated on the test split, after the search. ${o.seconds.toFixed(0)} s.`,
  });
  blocks.push({ kind: 'heading', text: 'Chosen trials' });
  blocks.push({
    kind: 'table',
    header: ['trial', 'role', ...objectives.map((x) => `${x.task} ${x.metric} (validation)`), ...objectives.map((x) => `${x.task} ${x.metric} (test)`), 'Δm validation', 'Δm test'],
    rows: chosen.map((c) => [
      String(c.trial),
      c.roles.join(', '),
      ...objectives.map((x) => fmt(c.validation?.[x.task]?.[x.metric])),
      ...objectives.map((x) => fmt(c.test?.[x.task]?.[x.metric])),
      pct(c.deltaM.validation),
      pct(c.deltaM.test),
    ]),
    caption: 'Δm: mean relative gain in each task\'s metric over trial 0 (the config as given)',
  });

  const points: Point[] = o.trials.filter((r) => r.status !== 'failed').map((r) => ({ id: r.trial, values: oriented(objectives, headlineValues(objectives, r.validation)) }));
  if (objectives.length >= 2) {
    blocks.push({ kind: 'heading', text: 'Validation metrics per pair of tasks' });
    const svgs: string[] = [];
    for (let i = 0; i < objectives.length; i++)
      for (let j = i + 1; j < objectives.length; j++) svgs.push(scatter(points, objectives, i, j, new Set(o.front), o.best));
    blocks.push({ kind: 'charts', svgs });
  }

  blocks.push({ kind: 'heading', text: 'Trials' });
  blocks.push({
    kind: 'table',
    header: ['trial', 'front', 'status', ...paths, ...objectives.map((x) => `${x.task} ${x.metric}`), 'objective', 'epochs', 'seconds'],
    rows: o.trials.map((r) => [
      String(r.trial),
      `${o.front.includes(r.trial) ? '★' : ''}${r.trial === o.best ? ' best' : ''}`,
      r.status === 'stopped' ? `stopped at ${r.stoppedAt}` : r.status === 'failed' ? `failed: ${r.error ?? ''}` : r.status,
      ...paths.map((p) => (r.params[p] === undefined ? '(default)' : showValue(r.params[p]))),
      ...objectives.map((x) => fmt(r.validation?.[x.task]?.[x.metric])),
      fmt(r.objective),
      String(r.epochs),
      r.seconds.toFixed(1),
    ]),
    caption: '★ on the Pareto front of the validation metrics (no other trial is at least as good on every task and better on one)',
  });
  return renderPage('trunkline tune', blocks);
}

/** One task pair: every trial a dot (front members filled, the best ringed), the pair's front a step line. */
function scatter(points: readonly Point[], objectives: readonly TaskObjective[], i: number, j: number, front: Set<number>, best: number | null): string {
  const W = 460;
  const H = 360;
  const m = { left: 64, right: 16, top: 46, bottom: 52 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const shown = points.filter((p) => Number.isFinite(p.values[i]) && Number.isFinite(p.values[j]));
  // Axes show the metric as reported (un-oriented).
  const sign = (k: number) => (objectives[k].direction === 'lower' ? -1 : 1);
  const xs = shown.map((p) => sign(i) * p.values[i]);
  const ys = shown.map((p) => sign(j) * p.values[j]);
  // Trials stopped after an epoch or two lie far below the rest: the axes cover the upper
  // part (down to 3x the gap between the best and the median below the best, and trial 0),
  // and a trial below that is drawn hollow at the axis' edge.
  const zero = shown.find((p) => p.id === 0);
  const span = (v: number[], ref: number | undefined) => {
    const sorted = [...v].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    let hi = sorted[sorted.length - 1];
    let lo = Math.max(sorted[0], hi - 3 * (hi - median));
    if (ref !== undefined && Number.isFinite(ref)) lo = Math.min(lo, ref);
    if (!(hi > lo)) {
      lo -= 0.01;
      hi += 0.01;
    }
    const pad = (hi - lo) * 0.06;
    return [lo - pad, hi + pad];
  };
  const [x0, x1] = shown.length ? span(xs, zero && sign(i) * zero.values[i]) : [0, 1];
  const [y0, y1] = shown.length ? span(ys, zero && sign(j) * zero.values[j]) : [0, 1];
  const X = (v: number) => m.left + ((v - x0) / (x1 - x0)) * pw;
  const Y = (v: number) => m.top + ph - ((v - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="11">`);
  const title = `${objectives[j].task} ${objectives[j].metric} vs ${objectives[i].task} ${objectives[i].metric}`;
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`);
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (let t = 0; t <= 4; t++) {
    const xv = x0 + ((x1 - x0) * t) / 4;
    const yv = y0 + ((y1 - y0) * t) / 4;
    parts.push(`<text x="${X(xv).toFixed(1)}" y="${m.top + ph + 16}" text-anchor="middle">${xv.toFixed(3)}</text>`);
    parts.push(`<text x="${m.left - 6}" y="${(Y(yv) + 4).toFixed(1)}" text-anchor="end">${yv.toFixed(3)}</text>`);
  }
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(`${objectives[i].task} ${objectives[i].metric} (validation)`)}</text>`);
  parts.push(`<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(`${objectives[j].task} ${objectives[j].metric} (validation)`)}</text>`);
  // The pair's front as a staircase: from the best on x, step down to the best on y.
  const stairs = front2d(shown, i, j);
  if (stairs.length) {
    const pts: string[] = [];
    stairs.forEach((p, k) => {
      const px = X(sign(i) * p.values[0]);
      const py = Y(sign(j) * p.values[1]);
      if (k > 0) pts.push(`${px.toFixed(1)},${Y(sign(j) * stairs[k - 1].values[1]).toFixed(1)}`);
      pts.push(`${px.toFixed(1)},${py.toFixed(1)}`);
    });
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="#d62728" stroke-width="1.5"/>`);
  }
  let outside = 0;
  for (const p of shown) {
    const vx = sign(i) * p.values[i];
    const vy = sign(j) * p.values[j];
    const out = vx < x0 || vy < y0;
    if (out) outside++;
    const cx = X(Math.max(x0, vx)).toFixed(1);
    const cy = Y(Math.max(y0, vy)).toFixed(1);
    const on = front.has(p.id);
    const title = `<title>trial ${p.id}${on ? ' (front)' : ''}: ${vx.toFixed(4)}, ${vy.toFixed(4)}</title>`;
    parts.push(out
      ? `<circle cx="${cx}" cy="${cy}" r="3" fill="none" stroke="#1f77b4">${title}</circle>`
      : `<circle cx="${cx}" cy="${cy}" r="${on ? 4 : 3}" fill="${on ? '#d62728' : '#1f77b4'}" fill-opacity="${on ? 1 : 0.6}">${title}</circle>`);
    if (p.id === best) parts.push(`<circle cx="${cx}" cy="${cy}" r="7" fill="none" stroke="#222" stroke-width="1.2"/>`);
    if (p.id === 0) parts.push(`<text x="${(Number(cx) + 6).toFixed(1)}" y="${(Number(cy) - 6).toFixed(1)}" fill="#555">0</text>`);
  }
  parts.push(`<text x="${W / 2}" y="32" text-anchor="middle" fill="#555" font-size="10">red: on the front over all tasks; ring: best; line: this pair's front</text>`);
  if (outside) parts.push(`<text x="${W - m.right - 4}" y="${m.top + ph - 6}" text-anchor="end" fill="#555" font-size="10">${outside} trial${outside > 1 ? 's' : ''} below the axes: hollow, at the edge</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
