// Classification metrics on plain typed arrays. Rows whose label is missing (NaN, or a
// negative class id) are skipped, so a task's label mask applies to its metrics too.
export type Numbers = ArrayLike<number>;

function checkLengths(name: string, a: Numbers, b: Numbers, perRow = 1): void {
  if (a.length * perRow !== b.length)
    throw new Error(`${name}: ${a.length} labels but ${b.length} predictions${perRow > 1 ? ` (expected ${a.length} x ${perRow})` : ''}`);
}

const present = (y: number): boolean => !Number.isNaN(y) && y >= 0;

/** Fraction of rows whose predicted class equals the label (labels and predictions are class ids, or 0/1). */
export function accuracy(labels: Numbers, predicted: Numbers): number {
  checkLengths('accuracy', labels, predicted);
  let n = 0, hit = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!present(labels[i])) continue;
    n++;
    if (labels[i] === predicted[i]) hit++;
  }
  return n ? hit / n : NaN;
}

/** Thresholds probabilities (or scores) into 0/1 predictions. */
export function threshold(scores: Numbers, at = 0.5): Int32Array {
  const out = new Int32Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = scores[i] >= at ? 1 : 0;
  return out;
}

/** The arg-max class of each row of a row-major [N, C] probability (or logit) matrix. */
export function argmaxRows(values: Numbers, numClasses: number): Int32Array {
  if (numClasses < 1 || values.length % numClasses !== 0)
    throw new Error(`argmaxRows: ${values.length} values do not form rows of ${numClasses} classes`);
  const n = values.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (values[i * numClasses + c] > values[i * numClasses + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** Per-class true positives, false positives and false negatives. */
export function confusionCounts(labels: Numbers, predicted: Numbers, numClasses: number): { tp: number[]; fp: number[]; fn: number[]; support: number[] } {
  checkLengths('confusionCounts', labels, predicted);
  const tp = new Array(numClasses).fill(0), fp = new Array(numClasses).fill(0);
  const fn = new Array(numClasses).fill(0), support = new Array(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!present(y)) continue;
    const p = predicted[i];
    if (y >= numClasses || p < 0 || p >= numClasses || !Number.isInteger(y) || !Number.isInteger(p))
      throw new Error(`confusionCounts: row ${i} has label ${y} / prediction ${p} outside classes 0..${numClasses - 1}`);
    support[y]++;
    if (y === p) tp[y]++;
    else {
      fp[p]++;
      fn[y]++;
    }
  }
  return { tp, fp, fn, support };
}

export type Average = 'binary' | 'macro' | 'micro';

export interface PrfOptions {
  /** 'binary' (default when numClasses is 2): the positive class only; 'macro': unweighted mean over classes; 'micro': from pooled counts. */
  average?: Average;
  numClasses?: number;
  /** The positive class for 'binary'. */
  positive?: number;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

function prf(labels: Numbers, predicted: Numbers, options: PrfOptions): { precision: number; recall: number; f1: number } {
  let numClasses = options.numClasses;
  if (numClasses === undefined) {
    numClasses = 2;
    for (let i = 0; i < labels.length; i++) {
      if (present(labels[i])) numClasses = Math.max(numClasses, labels[i] + 1);
      numClasses = Math.max(numClasses, predicted[i] + 1);
    }
  }
  const average = options.average ?? (numClasses === 2 ? 'binary' : 'macro');
  const { tp, fp, fn } = confusionCounts(labels, predicted, numClasses);
  const f1Of = (p: number, r: number): number => ratio(2 * p * r, p + r);
  if (average === 'binary') {
    const c = options.positive ?? 1;
    const p = ratio(tp[c], tp[c] + fp[c]), r = ratio(tp[c], tp[c] + fn[c]);
    return { precision: p, recall: r, f1: f1Of(p, r) };
  }
  if (average === 'micro') {
    const T = tp.reduce((a, b) => a + b, 0), P = fp.reduce((a, b) => a + b, 0), N = fn.reduce((a, b) => a + b, 0);
    const p = ratio(T, T + P), r = ratio(T, T + N);
    return { precision: p, recall: r, f1: f1Of(p, r) };
  }
  let sp = 0, sr = 0, sf = 0;
  for (let c = 0; c < numClasses; c++) {
    const p = ratio(tp[c], tp[c] + fp[c]), r = ratio(tp[c], tp[c] + fn[c]);
    sp += p;
    sr += r;
    sf += f1Of(p, r);
  }
  return { precision: sp / numClasses, recall: sr / numClasses, f1: sf / numClasses };
}

export function precision(labels: Numbers, predicted: Numbers, options: PrfOptions = {}): number {
  return prf(labels, predicted, options).precision;
}
export function recall(labels: Numbers, predicted: Numbers, options: PrfOptions = {}): number {
  return prf(labels, predicted, options).recall;
}
/** F1; for 'macro' the mean of per-class F1 scores (as scikit-learn computes it). */
export function f1(labels: Numbers, predicted: Numbers, options: PrfOptions = {}): number {
  return prf(labels, predicted, options).f1;
}
