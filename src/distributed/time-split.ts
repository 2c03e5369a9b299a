// A time split over the parts of a data set, equal to timeSplit on all rows in one
// process: rows in order of (time, index), the first ones train, then validation, the last
// ones test. One process also fits on the training rows in that order, so every training
// row needs its exact place in it, not only which side of the cut-offs it falls: the parts
// sort the rows between them. Each part sorts its own rows; a sample of W keys from every
// part picks W - 1 splitters, so part q owns the keys between splitters q and q + 1 (about
// 1/W of the rows, at most about 2/W); each part sends every row's (time, index) to its
// owner (16 bytes), owners sort what they hold, and the owners' counts give each owner's
// first place; each row's place goes back to its part (8 bytes).
import { fractions, notATime, timeValues, type Split, type SplitOptions } from '../data/splits.js';
import type { Table } from '../data/table.js';
import { allGatherF64, allToAllF64, gatherJson, type Exchange, type PartOf } from './exchange.js';

export interface PartTimeSplit {
  /** This part's rows of each part of the split (local row numbers, ascending). */
  split: Split;
  /** Each row of split.train's place in the training rows' time order (the table one process fits on). */
  trainPlaces: Float64Array;
}

/** (time, index) order: earlier first, ties by index (timeSplit's order; -0 and 0 tie). */
const before = (t1: number, i1: number, t2: number, i2: number): number => (t1 < t2 ? -1 : t1 > t2 ? 1 : i1 - i2);

/**
 * This part's share of timeSplit over every part's rows: `index` is each row's index in the
 * table one process splits (ascending), `total` that table's rows. A missing or unreadable
 * time fails every part with the message one process gives, for the first such row of the
 * whole table. Collective over the parts.
 */
export function* timeSplitParts(table: Table, column: string, index: Float64Array, total: number, options: Omit<SplitOptions, 'seed'>, part: PartOf): Exchange<PartTimeSplit> {
  const [validationFraction, testFraction] = fractions(options, 'timeSplit');
  const W = part.size;
  const n = table.numRows;
  const times = timeValues(table, column);
  const bad = times.findIndex(Number.isNaN);
  const failures = yield* gatherJson(bad < 0 ? null : { index: index[bad], message: notATime(table, column, bad).message });
  const first = failures.filter((f) => f !== null).sort((a, b) => a.index - b.index)[0];
  if (first) throw new Error(first.message);

  const mine = Array.from({ length: n }, (_, i) => i).sort((a, b) => before(times[a], index[a], times[b], index[b]));
  // W evenly spaced samples of this part's sorted rows, each standing for the rows up to the next.
  const samples = new Float64Array(3 * Math.min(W, n));
  for (let j = 0, s = 0; j < W && n > 0; j++) {
    const at = Math.floor((j * n) / W), next = Math.floor(((j + 1) * n) / W);
    if (next === at) continue;
    samples.set([times[mine[at]], index[mine[at]], next - at], 3 * s++);
  }
  const pooled: { t: number; i: number; rows: number }[] = [];
  for (const s of yield* allGatherF64(samples)) for (let k = 0; k < s.length; k += 3) if (s[k + 2] > 0) pooled.push({ t: s[k], i: s[k + 1], rows: s[k + 2] });
  pooled.sort((a, b) => before(a.t, a.i, b.t, b.i));
  // Splitter q (1..W-1): the first sample with at least q/W of the rows before it.
  const splitters: { t: number; i: number }[] = [];
  let rowsBefore = 0;
  for (const s of pooled) {
    while (splitters.length < W - 1 && rowsBefore * W >= (splitters.length + 1) * total) splitters.push(s);
    rowsBefore += s.rows;
  }
  // Owner q holds the keys from splitter q (splitter 0 being the least key) up to splitter q + 1.
  const runStart = new Array<number>(W + 1).fill(n);
  runStart[0] = 0;
  for (let q = 1, k = 0; q < W; q++) {
    const sp = splitters[q - 1];
    if (sp) while (k < n && before(times[mine[k]], index[mine[k]], sp.t, sp.i) < 0) k++;
    else k = n;
    runStart[q] = k;
  }
  const keys = yield* allToAllF64(
    Array.from({ length: W }, (_, q) => {
      const run = mine.slice(runStart[q], runStart[q + 1]);
      const out = new Float64Array(2 * run.length);
      run.forEach((i, k) => ((out[2 * k] = times[i]), (out[2 * k + 1] = index[i])));
      return out;
    }),
  );

  // As owner: the keys this part holds, in order; its first place follows every earlier owner's rows.
  const held: [number, number][] = [];
  keys.forEach((k, from) => {
    for (let j = 0; 2 * j < k.length; j++) held.push([from, j]);
  });
  held.sort(([fa, ja], [fb, jb]) => before(keys[fa][2 * ja], keys[fa][2 * ja + 1], keys[fb][2 * jb], keys[fb][2 * jb + 1]));
  const counts = yield* allGatherF64(Float64Array.of(held.length));
  const firstPlace = counts.slice(0, part.rank).reduce((s, c) => s + c[0], 0);
  const placesFor = keys.map((k) => new Float64Array(k.length / 2));
  held.forEach(([from, j], k) => (placesFor[from][j] = firstPlace + k));
  const places = yield* allToAllF64(placesFor);

  const nTest = Math.round(total * testFraction);
  const nVal = Math.round(total * validationFraction);
  const nTrain = total - nTest - nVal;
  const placeOf = new Float64Array(n);
  for (let q = 0; q < W; q++) for (let k = runStart[q]; k < runStart[q + 1]; k++) placeOf[mine[k]] = places[q][k - runStart[q]];
  const rows: number[][] = [[], [], []];
  for (let i = 0; i < n; i++) rows[placeOf[i] < nTrain ? 0 : placeOf[i] < nTrain + nVal ? 1 : 2].push(i);
  return {
    split: { train: Int32Array.from(rows[0]), validation: Int32Array.from(rows[1]), test: Int32Array.from(rows[2]) },
    trainPlaces: Float64Array.from(rows[0], (i) => placeOf[i]),
  };
}
