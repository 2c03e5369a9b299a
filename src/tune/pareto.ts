// The Pareto front of trials over the tasks' validation metrics: a trial is on the front
// when no other trial is at least as good on every task and better on one. Values are
// oriented so that higher is better. Trials with equal values on every task do not
// dominate each other, so ties are on the front together. A trial with a missing
// (non-finite) value is never on the front and dominates nothing.

export interface Point {
  id: number;
  /** One value per objective, higher is better. */
  values: readonly number[];
}

/** Whether a is at least as good as b everywhere and better somewhere. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let k = 0; k < a.length; k++) {
    if (a[k] < b[k]) return false;
    if (a[k] > b[k]) better = true;
  }
  return better;
}

const complete = (p: Point) => p.values.every(Number.isFinite);

/** The ids of the points on the front, in the order given. */
export function paretoFront(points: readonly Point[]): number[] {
  const valid = points.filter(complete);
  return valid.filter((p) => !valid.some((q) => q !== p && dominates(q.values, p.values))).map((p) => p.id);
}

/**
 * The front of two objectives (indices i and j), sorted by the first descending: the
 * corners of the staircase that the report draws. Ties on both values keep each point.
 */
export function front2d(points: readonly Point[], i: number, j: number): Point[] {
  const pairs = points.filter(complete).map((p) => ({ id: p.id, values: [p.values[i], p.values[j]] }));
  const ids = new Set(paretoFront(pairs));
  return pairs.filter((p) => ids.has(p.id)).sort((a, b) => b.values[0] - a.values[0] || a.values[1] - b.values[1] || a.id - b.id);
}
