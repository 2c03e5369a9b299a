// Medians over every part's rows without gathering them: a binary search over the 64-bit
// order keys of doubles, each step agreeing on how many values lie at or below a probe (one
// small exchange per step for all columns together, at most 64 steps), so the result is
// exactly the middle of the sorted values one process would take.
import { sortedPresentOf } from './column-stats.js';
import { countAtMost, fromOrderKey, keyLess, orderKey } from './order-key.js';
import type { TrainingParts } from './training-parts.js';

export interface MedianRequest {
  column: string;
  /** Present values over all parts, and their extremes in sort order. */
  present: number;
  min: number;
  max: number;
}

/** Each request's median (the mean of the two middle values when their count is even). */
export function mediansAcross(parts: TrainingParts, requests: readonly MedianRequest[]): number[] {
  if (!requests.length) return [];
  const addCounts = (a: number[], b: number[]) => a.map((x, j) => x + b[j]);
  // The lower middle value: the smallest key with more than k values at or below it.
  const k = requests.map((r) => Math.floor((r.present - 1) / 2));
  const lo = requests.map((r) => orderKey(r.min));
  const hi = requests.map((r) => orderKey(r.max));
  while (lo.some((l, j) => l < hi[j])) {
    const probe = lo.map((l, j) => (l < hi[j] ? (l + hi[j]) >> 1n : l));
    const at = probe.map(fromOrderKey);
    const counts = parts.combine((p) => requests.map((r, j) => (lo[j] < hi[j] ? countAtMost(sortedPresentOf(p, r.column), at[j]) : 0)), addCounts);
    requests.forEach((_, j) => {
      if (lo[j] >= hi[j]) return;
      if (counts[j] > k[j]) hi[j] = probe[j];
      else lo[j] = probe[j] + 1n;
    });
  }
  const lower = lo.map(fromOrderKey);
  const even = requests.map((r) => r.present % 2 === 0);
  if (!even.some(Boolean)) return lower;
  // The upper middle value: the lower one again if it repeats, else the next value above it.
  type Above = { atMost: number; next: number | null }[];
  const above = parts.combine(
    (p): Above =>
      requests.map((r, j) => {
        if (!even[j]) return { atMost: 0, next: null };
        const sorted = sortedPresentOf(p, r.column);
        const atMost = countAtMost(sorted, lower[j]);
        return { atMost, next: atMost < sorted.length ? sorted[atMost] : null };
      }),
    (a, b) => a.map((x, j) => ({ atMost: x.atMost + b[j].atMost, next: x.next === null ? b[j].next : b[j].next === null || !keyLess(b[j].next!, x.next) ? x.next : b[j].next })),
  );
  return requests.map((r, j) => {
    if (!even[j]) return lower[j];
    const upper = above[j].atMost > k[j] + 1 ? lower[j] : above[j].next!;
    return (lower[j] + upper) / 2;
  });
}
