// Mean and population standard deviation of present values, defined on exact sums so that
// the same rows give the same bits however they are divided: the mean is the exact sum
// rounded once, the spread the exact sum of squared deviations from that agreed mean.
import { ExactSumBuilder, roundedQuotient, type ExactSum } from './exact-sum.js';

/** sum / n rounded once; 0 when there are no values. */
export function meanOf(sum: ExactSum, n: number): number {
  return n ? roundedQuotient(sum, n) : 0;
}

/** sqrt(sum of (v - mean)^2 / n); 0 when there are no values. */
export function stdOf(squaredDeviations: ExactSum, n: number): number {
  return n ? Math.sqrt(roundedQuotient(squaredDeviations, n)) : 0;
}

/** The exact sum of (v - mean)^2 over the present values (each square rounded alike everywhere). */
export function squaredDeviations(values: ArrayLike<number>, mean: number): ExactSum {
  const b = new ExactSumBuilder();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isNaN(v)) b.add((v - mean) * (v - mean));
  }
  return b.finish();
}
