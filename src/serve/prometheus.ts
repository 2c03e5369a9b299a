// A minimal Prometheus registry: labelled counters, gauges and histograms rendered in
// the text exposition format (version 0.0.4).

type Labels = Record<string, string>;

const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: Labels, extra?: [string, string]): string => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escape(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};
// Callers name a metric's labels in one order, so the key need not sort them (it runs per request).
const keyOf = (labels: Labels): string => {
  let k = '';
  for (const name in labels) k += `${name}\u0001${labels[name]}\u0000`;
  return k;
};

interface Metric {
  render(): string;
}

class Series<T> {
  readonly byKey = new Map<string, { labels: Labels; value: T }>();
  get(labels: Labels, init: () => T): T {
    const k = keyOf(labels);
    let s = this.byKey.get(k);
    if (!s) this.byKey.set(k, (s = { labels, value: init() }));
    return s.value;
  }
}

export class Counter implements Metric {
  private series = new Series<{ n: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly type: 'counter' | 'gauge' = 'counter',
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    this.series.get(labels, () => ({ n: 0 })).n += by;
  }
  set(labels: Labels, value: number): void {
    this.series.get(labels, () => ({ n: 0 })).n = value;
  }
  /** Drops the series whose labels match (a swapped-out model's info gauge). */
  remove(match: (labels: Labels) => boolean): void {
    for (const [k, s] of this.series.byKey) if (match(s.labels)) this.series.byKey.delete(k);
  }
  value(labels: Labels = {}): number {
    return this.series.byKey.get(keyOf(labels))?.value.n ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.series.byKey.values()) lines.push(`${this.name}${labelText(labels)} ${value.n}`);
    return lines.join('\n');
  }
}

export class Histogram implements Metric {
  private series = new Series<{ counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}
  observe(labels: Labels, v: number): void {
    const s = this.series.get(labels, () => ({ counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) s.counts[i]++;
    s.sum += v;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, value } of this.series.byKey.values()) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${labelText(labels, ['le', String(b)])} ${value.counts[i]}`));
      lines.push(`${this.name}_bucket${labelText(labels, ['le', '+Inf'])} ${value.count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${value.sum}`);
      lines.push(`${this.name}_count${labelText(labels)} ${value.count}`);
    }
    return lines.join('\n');
  }
}

export class Registry {
  private metrics: Metric[] = [];
  add<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return this.metrics.map((m) => m.render()).join('\n') + '\n';
  }
}
