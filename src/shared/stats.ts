// Summary statistics over the present (non-NaN) values, one definition for the regression
// target scalers of tasks without a fitted pipeline, the regression score and the mean ± std
// over seeds in the train summary. Mean and spread come from exact sums (moments.ts), as the
// feature pipeline's do, so the same values give the same bits in any order.
import { ExactSumBuilder, roundedQuotient } from './exact-sum.js';
import { meanOf, squaredDeviations, stdOf } from './moments.js';

export interface PresentStats {
  /** Values that are not NaN. */
  n: number;
  /** 0 when n is 0. */
  mean: number;
  /** Population standard deviation (two passes); 0 when n is 0. */
  std: number;
  /** Sample standard deviation (n - 1), the spread of a few seeds' results; 0 when n < 2. */
  sampleStd: number;
  min: number;
  max: number;
}

export function presentStats(values: ArrayLike<number>): PresentStats {
  let n = 0;
  let min = Infinity;
  let max = -Infinity;
  const sum = new ExactSumBuilder();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    n++;
    sum.add(v);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = meanOf(sum.finish(), n);
  const ss = squaredDeviations(values, mean);
  return { n, mean, std: stdOf(ss, n), sampleStd: n > 1 ? Math.sqrt(roundedQuotient(ss, n - 1)) : 0, min, max };
}
