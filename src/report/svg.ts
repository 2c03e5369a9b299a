// Small, dependency-free SVG line charts for the run report.

export interface Series {
  name: string;
  values: readonly number[];
  /** x positions; defaults to 1..n. */
  x?: readonly number[];
  /** Palette index (series sharing one colour, e.g. a task's train and validation curves). */
  color?: number;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Draw a horizontal reference line (e.g. cosine 0). */
  zeroLine?: boolean;
  /** A vertical marker, e.g. the best epoch. */
  markX?: { x: number; label: string };
  /** Log-scale y axis (ratios); non-positive values are dropped. */
  logY?: boolean;
}

// Series that coincide (equal task weights, say) stay distinguishable: each later series is
// drawn thinner on top of the earlier, wider ones, with its own dash pattern.
const DASHES = ['', '7 3', '2 3', '9 3 2 3', '4 4'];

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  // Integer multiples of the step, so accumulated rounding never shows as -1.4e-17.
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) ticks.push(i === 0 ? 0 : Number((i * step).toPrecision(12)));
  return ticks;
}

function fmtTick(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/** A multi-series line chart as an <svg> string. Non-finite points break the line. */
export function lineChart(series: readonly Series[], options: ChartOptions): string {
  const W = options.width ?? 560;
  const H = options.height ?? 300;
  const m = { left: 56, right: 16, top: 32, bottom: 64 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const ty = (v: number): number => (options.logY ? (v > 0 ? Math.log10(v) : NaN) : v);
  const pts = series.map((s) => s.values.map((v, i) => [s.x?.[i] ?? i + 1, ty(v)] as const));
  const finite = pts.flat().filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(options.title)}</text>`);
  if (finite.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#888">no data</text></svg>`);
    return parts.join('');
  }
  let [x0, x1] = [Math.min(...finite.map((p) => p[0])), Math.max(...finite.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...finite.map((p) => p[1])), Math.max(...finite.map((p) => p[1]))];
  if (options.zeroLine) {
    y0 = Math.min(y0, 0);
    y1 = Math.max(y1, 0);
  }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) {
    const pad = Math.abs(y0) * 0.1 || 1;
    y0 -= pad;
    y1 += pad;
  }
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => m.top + ph - ((y - y0) / (y1 - y0)) * ph;
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#ccc"/>`);
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.left - 4}" y="${sy(t) + 4}" text-anchor="end">${options.logY ? Number((10 ** t).toPrecision(2)) : fmtTick(t)}</text>`);
  }
  for (const t of niceTicks(x0, x1, 6)) parts.push(`<text x="${sx(t)}" y="${m.top + ph + 14}" text-anchor="middle">${fmtTick(t)}</text>`);
  if (options.zeroLine && y0 < 0 && y1 > 0)
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${sy(0)}" y2="${sy(0)}" stroke="#999" stroke-dasharray="4 3"/>`);
  if (options.markX && options.markX.x >= x0 && options.markX.x <= x1) {
    const xm = sx(options.markX.x).toFixed(1);
    parts.push(`<line x1="${xm}" x2="${xm}" y1="${m.top}" y2="${m.top + ph}" stroke="#555" stroke-dasharray="2 2"/>`);
    parts.push(`<text x="${xm}" y="${m.top - 3}" text-anchor="middle" fill="#555">${escapeXml(options.markX.label)}</text>`);
  }
  if (options.xLabel) parts.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 30}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  if (options.yLabel)
    parts.push(`<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`);
  const colorOf = (k: number) => PALETTE[(series[k].color ?? k) % PALETTE.length];
  // Explicitly dashed series keep their one dash; the others get one each, widest first.
  const dashOf = (k: number) => (series[k].dashed ? '5 3' : DASHES[k % DASHES.length]);
  const widthOf = (k: number) => 1.4 + 1.2 * (series.length - 1 - k);
  pts.forEach((p, k) => {
    const color = colorOf(k);
    let d = '';
    let pen = false;
    for (const [x, y] of p) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
      pen = true;
    }
    const dash = dashOf(k);
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${widthOf(k).toFixed(1)}" stroke-opacity="0.85"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    if (p.length <= 40) for (const [x, y] of p) if (Number.isFinite(y)) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.2" fill="${color}"/>`);
  });
  // Legend below the plot, wrapping.
  let lx = m.left;
  let ly = m.top + ph + 46;
  series.forEach((s, k) => {
    const w = 18 + s.name.length * 6.5 + 14;
    if (lx + w > W - m.right) {
      lx = m.left;
      ly += 14;
    }
    const dash = dashOf(k);
    parts.push(`<line x1="${lx}" x2="${lx + 12}" y1="${ly - 7}" y2="${ly - 7}" stroke="${colorOf(k)}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    parts.push(`<text x="${lx + 16}" y="${ly - 3}">${escapeXml(s.name)}</text>`);
    lx += w;
  });
  parts.push('</svg>');
  return parts.join('');
}
