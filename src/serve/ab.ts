// A/B arms: `--model a=runs/x --model b=runs/y --split a=0.9,b=0.1 --split-key user_id`.
// A row goes to the arm its split key hashes to, so the same key always meets the same
// arm while the split is unchanged; a row without the key is routed at random by weight.
import { fnv1a } from '../data/index.js';

export interface ArmSpec {
  name: string;
  path: string;
}

/** `a=runs/x` names an arm; a bare path is the arm `default` (only when it is the sole model). */
export function parseModelSpecs(specs: readonly string[]): ArmSpec[] {
  if (specs.length === 0) throw new Error('serve needs --model <run directory> (or several --model name=dir for A/B)');
  const arms = specs.map((s): ArmSpec => {
    const m = /^([A-Za-z][\w-]*)=(.+)$/.exec(s);
    return m ? { name: m[1], path: m[2] } : { name: 'default', path: s };
  });
  const names = new Set<string>();
  for (const a of arms) {
    if (names.has(a.name)) throw new Error(`--model: arm '${a.name}' is given twice${a.name === 'default' ? ' (with several models, name each: --model a=runs/x --model b=runs/y)' : ''}`);
    names.add(a.name);
  }
  return arms;
}

/** `a=0.9,b=0.1` -> weights per arm, normalised to sum 1; equal weights when no split is given. */
export function parseSplit(split: string | undefined, arms: readonly string[]): Map<string, number> {
  const weights = new Map<string, number>();
  if (!split) {
    for (const a of arms) weights.set(a, 1 / arms.length);
    return weights;
  }
  for (const part of split.split(',')) {
    const m = /^\s*([\w-]+)\s*=\s*([0-9.]+)\s*$/.exec(part);
    if (!m) throw new Error(`--split: '${part}' is not arm=weight (e.g. --split a=0.9,b=0.1)`);
    if (!arms.includes(m[1])) throw new Error(`--split: no model arm named '${m[1]}' (arms: ${arms.join(', ')})`);
    const w = Number(m[2]);
    if (!Number.isFinite(w) || w < 0) throw new Error(`--split: weight of '${m[1]}' must be a non-negative number, got '${m[2]}'`);
    weights.set(m[1], w);
  }
  for (const a of arms) if (!weights.has(a)) throw new Error(`--split: arm '${a}' has no weight (give every arm one, e.g. ${arms.map((x) => `${x}=…`).join(',')})`);
  const total = [...weights.values()].reduce((s, w) => s + w, 0);
  if (!(total > 0)) throw new Error('--split: the weights sum to 0');
  for (const [a, w] of weights) weights.set(a, w / total);
  return weights;
}

/** Maps a key to a point in [0, 1), well mixed (FNV-1a, then murmur3's finaliser). */
export function keyPoint(key: string): number {
  let h = fnv1a(key);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

export class ArmRouter {
  private readonly cumulative: { arm: string; upTo: number }[] = [];
  private readonly lastWeighted: string;

  constructor(
    weights: Map<string, number>,
    readonly splitKey: string | undefined,
  ) {
    let acc = 0;
    for (const [arm, w] of weights) this.cumulative.push({ arm, upTo: (acc += w) });
    this.lastWeighted = [...weights].filter(([, w]) => w > 0).pop()?.[0] ?? this.cumulative[0].arm;
  }

  get arms(): string[] {
    return this.cumulative.map((c) => c.arm);
  }

  /** The arm of a raw row. */
  route(row: Record<string, unknown>): string {
    if (this.cumulative.length === 1) return this.cumulative[0].arm;
    const key = this.splitKey === undefined ? undefined : row[this.splitKey];
    const u = key === undefined || key === null || key === '' ? Math.random() : keyPoint(String(key));
    for (const c of this.cumulative) if (u < c.upTo) return c.arm;
    // Rounding can leave the last bound a hair under 1: such a point goes to the last arm with weight.
    return this.lastWeighted;
  }
}
