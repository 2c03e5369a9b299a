// Order statistics of integer keys in [0, 2^53) held by several parts, without moving the
// keys: a binary search over the key range, each step agreeing on how many keys of each
// part lie at or below the probe (one exchange of a count per query, at most 53 steps for
// every query together).
import { allGatherF64, type Exchange } from './exchange.js';

/** How many of the ascending keys are at most x. */
function countAtMost(sorted: Float64Array, x: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * For each query, the key of rank k[q] (0 for the least) among every part's keys of that
 * query (`keys[q]`: this part's, ascending). Every k must be less than the query's number
 * of keys over all parts. Collective over the parts.
 */
export function* kthKeys(keys: readonly Float64Array[], k: readonly number[]): Exchange<number[]> {
  const lo = k.map(() => 0), hi = k.map(() => 2 ** 53 - 1);
  for (;;) {
    const open = lo.map((l, q) => l < hi[q]);
    // Every part computes the same bounds, so every part agrees when to stop.
    if (!open.some(Boolean)) return lo;
    const probe = lo.map((l, q) => l + Math.floor((hi[q] - l) / 2));
    const mine = Float64Array.from(probe, (p, q) => (open[q] ? countAtMost(keys[q], p) : 0));
    const counts = (yield* allGatherF64(mine)).reduce((sum, c) => sum.map((s, q) => s + c[q]), new Array<number>(k.length).fill(0));
    probe.forEach((p, q) => {
      if (!open[q]) return;
      if (counts[q] > k[q]) hi[q] = p;
      else lo[q] = p + 1;
    });
  }
}
