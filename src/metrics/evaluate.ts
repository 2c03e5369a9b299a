// One entry point for the trainer: the named metrics of one task from its labels and its
// predictions (probabilities for classification, values for regression).
import { accuracy, argmaxRows, f1, precision, recall, threshold, type Numbers } from './classification.js';
import { rocAuc, rocAucMacro } from './ranking.js';
import { logLoss, mae, rmse } from './regression.js';
import type { TaskType } from '../shared/contract.js';
import { presentStats } from '../shared/stats.js';

/** The task types of the data contract. */
export type TaskKind = TaskType;

// 'score' puts every task on one higher-is-better scale, so tasks can be averaged (early
// stopping's default): AUC (binary, macro for multilabel), accuracy (multiclass), and
// 1 - RMSE / std(labels) for regression (0 is a constant predictor at the mean).
export const METRIC_NAMES = {
  binary: ['auc', 'logloss', 'accuracy', 'precision', 'recall', 'f1', 'score'],
  multiclass: ['accuracy', 'f1Macro', 'f1Micro', 'precisionMacro', 'recallMacro', 'logloss', 'score'],
  multilabel: ['auc', 'logloss', 'accuracy', 'f1Micro', 'f1Macro', 'score'],
  regression: ['rmse', 'mae', 'score'],
} as const;

export const DEFAULT_METRICS: Record<TaskKind, string[]> = {
  binary: ['auc', 'logloss', 'accuracy'],
  multiclass: ['accuracy', 'f1Macro', 'logloss'],
  multilabel: ['auc', 'f1Micro'],
  regression: ['rmse', 'mae'],
};

/**
 * labels: binary [N] 0/1 (NaN = missing); multiclass [N] ids (-1 = missing);
 * multilabel [N*K] 0/1 (NaN = missing); regression [N] (NaN = missing).
 * predictions: probabilities of class 1 [N]; class probabilities [N*C]; per-label probabilities [N*K]; values [N].
 */
export function evaluateTask(kind: TaskKind, metrics: readonly string[], labels: Numbers, predictions: Numbers, width = 1): Record<string, number> {
  const known = METRIC_NAMES[kind] as readonly string[];
  const out: Record<string, number> = {};
  for (const m of metrics) {
    if (!known.includes(m)) throw new Error(`evaluateTask: metric '${m}' is not defined for ${kind} tasks (known: ${known.join(', ')})`);
    out[m] = one(kind, m, labels, predictions, width);
  }
  return out;
}

function one(kind: TaskKind, m: string, y: Numbers, p: Numbers, width: number): number {
  if (m === 'score') {
    if (kind === 'regression') {
      const sd = presentStats(y).std; // 0 when no label is present
      return sd > 0 ? 1 - rmse(y, p) / sd : NaN;
    }
    m = kind === 'multiclass' ? 'accuracy' : 'auc';
  }
  switch (kind) {
    case 'regression':
      return m === 'rmse' ? rmse(y, p) : mae(y, p);
    case 'binary': {
      if (m === 'auc') return rocAuc(y, p);
      if (m === 'logloss') return logLoss(y, p);
      const hard = threshold(p);
      if (m === 'accuracy') return accuracy(y, hard);
      const o = { average: 'binary' as const, numClasses: 2 };
      return m === 'precision' ? precision(y, hard, o) : m === 'recall' ? recall(y, hard, o) : f1(y, hard, o);
    }
    case 'multiclass': {
      if (m === 'logloss') return logLoss(y, p, width);
      const hard = argmaxRows(p, width);
      if (m === 'accuracy') return accuracy(y, hard);
      const o = { numClasses: width, average: m.endsWith('Micro') ? ('micro' as const) : ('macro' as const) };
      return m.startsWith('precision') ? precision(y, hard, o) : m.startsWith('recall') ? recall(y, hard, o) : f1(y, hard, o);
    }
    case 'multilabel': {
      if (m === 'auc') return rocAucMacro(y, p, width);
      if (m === 'logloss') return logLoss(y, p);
      const hard = threshold(p);
      if (m === 'accuracy') return accuracy(y, hard); // element-wise (Hamming) accuracy
      // Pool labels as classes: micro = over all (row, label) cells; macro = mean per-label F1.
      if (m === 'f1Micro') return f1(y, hard, { average: 'binary', numClasses: 2 });
      const n = y.length / width;
      let s = 0;
      const yc = new Float64Array(n), pc = new Int32Array(n);
      for (let k = 0; k < width; k++) {
        for (let i = 0; i < n; i++) {
          yc[i] = y[i * width + k];
          pc[i] = hard[i * width + k];
        }
        s += f1(yc, pc, { average: 'binary', numClasses: 2 });
      }
      return s / width;
    }
  }
}
