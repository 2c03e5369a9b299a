// The trivial baseline every trained model must beat: a predictor that ignores its inputs
// and always says what the training labels say on average (the positive rate, the class
// shares, the mean). A model no better than it has learned nothing the user could use.
import { evaluateTask, type TaskKind } from './evaluate.js';
import type { Numbers } from './classification.js';

/** The constant prediction for one row: `width` values (class shares for multiclass, rates per label for multilabel). */
export function constantPrediction(kind: TaskKind, trainLabels: Numbers, width = 1): Float64Array {
  if (kind === 'multiclass') {
    const counts = new Float64Array(width);
    let n = 0;
    for (let i = 0; i < trainLabels.length; i++) {
      const c = trainLabels[i];
      if (c >= 0 && c < width) (counts[c]++, n++);
    }
    return counts.map((k) => (n ? k / n : 1 / width));
  }
  const k = kind === 'multilabel' ? width : 1;
  const sums = new Float64Array(k), counts = new Float64Array(k);
  for (let i = 0; i < trainLabels.length; i++) {
    const v = trainLabels[i];
    if (Number.isNaN(v)) continue;
    sums[i % k] += v;
    counts[i % k]++;
  }
  return sums.map((s, j) => (counts[j] ? s / counts[j] : NaN));
}

/** The named metrics of the constant predictor fitted on `trainLabels`, on `labels` (same layout as evaluateTask's). */
export function constantMetrics(kind: TaskKind, metrics: readonly string[], trainLabels: Numbers, labels: Numbers, width = 1): Record<string, number> {
  const one = constantPrediction(kind, trainLabels, width);
  // Multiclass predictions are class probabilities per row ([N * width] for N labels).
  const predictions = new Float64Array(kind === 'multiclass' ? labels.length * width : labels.length);
  for (let i = 0; i < predictions.length; i++) predictions[i] = one[i % one.length];
  return evaluateTask(kind, metrics, labels, predictions, width);
}
