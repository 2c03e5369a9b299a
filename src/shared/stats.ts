// Summary statistics over the present (non-NaN) values, one definition for the feature
// scalers, the regression target scalers, the regression score and the mean ± std over
// seeds in the train summary.

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
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = n ? sum / n : 0;
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isNaN(v)) ss += (v - mean) * (v - mean);
  }
  return { n, mean, std: n ? Math.sqrt(ss / n) : 0, sampleStd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, min, max };
}
