// Regression metrics and log loss. Rows with a missing label (NaN) are skipped.
import type { Numbers } from './classification.js';

function check(name: string, a: Numbers, b: Numbers): void {
  if (a.length !== b.length) throw new Error(`${name}: ${a.length} labels but ${b.length} predictions`);
}

export function rmse(labels: Numbers, predicted: Numbers): number {
  check('rmse', labels, predicted);
  let s = 0, n = 0;
  for (let i = 0; i < labels.length; i++) {
    if (Number.isNaN(labels[i])) continue;
    const d = predicted[i] - labels[i];
    s += d * d;
    n++;
  }
  return n ? Math.sqrt(s / n) : NaN;
}

export function mae(labels: Numbers, predicted: Numbers): number {
  check('mae', labels, predicted);
  let s = 0, n = 0;
  for (let i = 0; i < labels.length; i++) {
    if (Number.isNaN(labels[i])) continue;
    s += Math.abs(predicted[i] - labels[i]);
    n++;
  }
  return n ? s / n : NaN;
}

/**
 * Mean negative log-likelihood. Binary: 0/1 labels with probabilities of class 1.
 * Multiclass (numClasses > 2 given): class ids with a row-major [N, C] probability matrix.
 * Probabilities are clipped to [eps, 1 - eps] so a confident mistake costs a lot but not Infinity.
 */
export function logLoss(labels: Numbers, probs: Numbers, numClasses?: number, eps = 1e-7): number {
  const clip = (p: number): number => Math.min(1 - eps, Math.max(eps, p));
  let s = 0, n = 0;
  if (numClasses === undefined || numClasses <= 2 && probs.length === labels.length) {
    check('logLoss', labels, probs);
    for (let i = 0; i < labels.length; i++) {
      const y = labels[i];
      if (Number.isNaN(y) || y < 0) continue;
      const p = clip(probs[i]);
      s -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
      n++;
    }
  } else {
    if (probs.length !== labels.length * numClasses)
      throw new Error(`logLoss: ${labels.length} labels need ${labels.length * numClasses} probabilities, got ${probs.length}`);
    for (let i = 0; i < labels.length; i++) {
      const y = labels[i];
      if (Number.isNaN(y) || y < 0) continue;
      if (y >= numClasses) throw new Error(`logLoss: label ${y} at row ${i} is outside classes 0..${numClasses - 1}`);
      s -= Math.log(clip(probs[i * numClasses + y]));
      n++;
    }
  }
  return n ? s / n : NaN;
}
