// Synthetic shop data for the CLI tests: one column of each feature kind (numeric,
// categorical, multi-hot, text) and three tasks whose labels depend strongly on them, so a
// trained model must clearly beat a trivial one.

const REGIONS = ['north', 'south', 'east', 'west'];
const TAGS = ['sport', 'music', 'travel', 'food', 'tech'];
const WORDS = ['red', 'blue', 'cotton', 'wool', 'shirt', 'jacket', 'large', 'small', 'soft', 'classic'];

/** A small deterministic generator (LCG) so fixtures are identical on every run. */
function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export interface ShopRow {
  age: string;
  region: string;
  tags: string;
  title: string;
  clicked: string;
  segment: string;
  spend: string;
}

export const FEATURE_COLUMNS = ['age', 'region', 'tags', 'title'] as const;
export const TASK_COLUMNS = ['clicked', 'segment', 'spend'] as const;

/** Rows of the shop data; `clicked` depends on age, region and the word 'premium' in the title. */
export function shopRows(n: number, seed: number): ShopRow[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const rows: ShopRow[] = [];
  for (let i = 0; i < n; i++) {
    const age = 18 + Math.floor(r() * 52);
    const region = pick(REGIONS);
    const first = pick(TAGS);
    const tags = r() < 0.85 ? `${first}|${pick(TAGS.filter((t) => t !== first))}` : first;
    const premium = r() < 0.5;
    const words = [pick(WORDS), pick(WORDS), premium ? 'premium' : 'basic', pick(WORDS)];
    const logit = (2.5 * (age - 44)) / 15 + (region === 'north' ? 1.5 : region === 'south' ? -1.5 : 0) + (premium ? 1.2 : -1.2);
    const clicked = r() < 1 / (1 + Math.exp(-logit)) ? 'yes' : 'no';
    // The segment follows the tag set (a bag: order does not matter).
    const byTags = tags.includes('sport') ? 'A' : tags.includes('tech') ? 'C' : 'B';
    const segment = r() < 0.9 ? byTags : pick(['A', 'B', 'C']);
    const spend = (age / 10 + (premium ? 3 : 0) + (r() - 0.5)).toFixed(2);
    rows.push({ age: r() < 0.03 ? 'NA' : String(age), region, tags, title: words.join(' '), clicked, segment, spend });
  }
  return rows;
}

/** CSV text with the given columns (default: all) in that order; titles are quoted. */
export function toCsv(rows: readonly ShopRow[], columns: readonly (keyof ShopRow)[] = [...FEATURE_COLUMNS, ...TASK_COLUMNS]): string {
  const cell = (v: string) => (/[",\n]/.test(v) || v.includes(' ') ? `"${v.replace(/"/g, '""')}"` : v);
  return [columns.join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))].join('\n') + '\n';
}

/** A small job config for the shop data: one binary, one multiclass and one regression task. */
export function shopConfig(overrides: { architecture?: string; baselines?: boolean; epochs?: number } = {}) {
  return {
    tasks: [
      { name: 'clicked', type: 'binary' },
      { name: 'segment', type: 'multiclass' },
      { name: 'spend', type: 'regression' },
    ],
    features: [
      { name: 'age', kind: 'numeric' },
      { name: 'region', kind: 'categorical' },
      { name: 'tags', kind: 'multihot' },
      { name: 'title', kind: 'text', hashBuckets: 512 },
    ],
    model: { architecture: overrides.architecture ?? 'shared-bottom', embeddingDim: 4, hidden: [16], towerHidden: [8], experts: 2 },
    training: { epochs: overrides.epochs ?? 8, batchSize: 64, lr: 0.01, patience: 3, seed: 1 },
    baselines: overrides.baselines ?? false,
  };
}
