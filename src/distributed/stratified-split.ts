// A stratified split over the parts of a data set, equal to stratifiedSplit on all rows in
// one process. There a stratum's rows go in the order of their seeded shuffle keys (a
// function of the seed and the row's index alone), the first ones train, then validation,
// the last ones test, with each stratum's counts apportioned from the strata's sizes in the
// order of their first rows. So the parts exchange per stratum only: its size and first
// row (one gather), then the keys at its two cut-offs (kthKeys: a binary search, a count
// per stratum and cut-off per step). No row leaves its part.
import { asStrings } from '../data/columns.js';
import { shuffleKey } from '../data/shuffle-key.js';
import { fractions, stratumCounts, type Split, type SplitOptions } from '../data/splits.js';
import type { Table } from '../data/table.js';
import { gatherJson, type Exchange } from './exchange.js';
import { kthKeys } from './kth-key.js';

/** A stratum as one part sees it: its value (null for missing), its rows here and the index of the first. */
interface StratumHere {
  value: string | null;
  rows: number;
  first: number;
}

/**
 * This part's rows of stratifiedSplit over every part's rows (local row numbers, ascending
 * in each part): `index` is each row's index in the table one process splits. Collective
 * over the parts.
 */
export function* stratifiedSplitParts(table: Table, column: string, index: Float64Array, options: SplitOptions): Exchange<Split> {
  const [validationFraction, testFraction] = fractions(options, 'stratifiedSplit');
  const n = table.numRows;
  const view = asStrings(table.column(column));
  // Local strata by code (code -1, missing, at 0).
  const here = new Map<number, StratumHere>();
  for (let i = 0; i < n; i++) {
    const c = view.codes[i];
    const s = here.get(c);
    if (s) s.rows++;
    else here.set(c, { value: c < 0 ? null : view.dictionary[c], rows: 1, first: index[i] });
  }
  const whole = new Map<string | null, StratumHere>();
  for (const mine of yield* gatherJson([...here.values()]))
    for (const s of mine) {
      const w = whole.get(s.value);
      if (w) ((w.rows += s.rows), (w.first = Math.min(w.first, s.first)));
      else whole.set(s.value, { ...s });
    }
  const strata = [...whole.values()].sort((a, b) => a.first - b.first);
  const counts = stratumCounts(strata.map((s) => s.rows), validationFraction, testFraction);
  const numberOf = new Map(strata.map((s, g) => [s.value, g]));

  // This part's keys of each stratum, ascending; then the keys of rank train and train +
  // validation in each stratum (none where that rank is past the stratum's end).
  const key = shuffleKey(options.seed ?? 0);
  const stratumOf = Int32Array.from(view.codes, (c) => numberOf.get(c < 0 ? null : view.dictionary[c])!);
  const keys = Float64Array.from(index, key);
  const byStratum: number[][] = strata.map(() => []);
  for (let i = 0; i < n; i++) byStratum[stratumOf[i]].push(keys[i]);
  const sortedKeys = byStratum.map((k) => Float64Array.from(k).sort());
  const cuts = strata.flatMap((s, g) => [counts.train[g], counts.train[g] + counts.validation[g]].map((rank) => ({ g, rank, past: rank >= s.rows })));
  const asked = cuts.filter((c) => !c.past);
  const found = yield* kthKeys(
    asked.map((c) => sortedKeys[c.g]),
    asked.map((c) => c.rank),
  );
  // A row whose key is below its stratum's first cut trains, below the second validates.
  let next = 0;
  const cutKey = cuts.map((c) => (c.past ? Infinity : found[next++]));
  const rows: number[][] = [[], [], []];
  for (let i = 0; i < n; i++) {
    const g = stratumOf[i];
    rows[keys[i] < cutKey[2 * g] ? 0 : keys[i] < cutKey[2 * g + 1] ? 1 : 2].push(i);
  }
  return { train: Int32Array.from(rows[0]), validation: Int32Array.from(rows[1]), test: Int32Array.from(rows[2]) };
}
