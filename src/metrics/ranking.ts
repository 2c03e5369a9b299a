// ROC AUC by ranks (Mann-Whitney U): tied scores share their mean rank, so a tie between
// a positive and a negative counts one half. Rows with a missing label (NaN) are skipped.
import type { Numbers } from './classification.js';

/** Area under the ROC curve for 0/1 labels and real scores; NaN when only one class is present. */
export function rocAuc(labels: Numbers, scores: Numbers): number {
  if (labels.length !== scores.length) throw new Error(`rocAuc: ${labels.length} labels but ${scores.length} scores`);
  const idx: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (Number.isNaN(y) || y < 0) continue;
    if (y !== 0 && y !== 1) throw new Error(`rocAuc: label ${y} at row ${i} is not 0 or 1`);
    if (Number.isNaN(scores[i])) throw new Error(`rocAuc: score at row ${i} is NaN`);
    idx.push(i);
  }
  idx.sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0, nPos = 0;
  for (let s = 0; s < idx.length; ) {
    let e = s;
    while (e + 1 < idx.length && scores[idx[e + 1]] === scores[idx[s]]) e++;
    const midRank = (s + e) / 2 + 1; // ranks are 1-based
    for (let k = s; k <= e; k++) if (labels[idx[k]] === 1) {
      rankSumPos += midRank;
      nPos++;
    }
    s = e + 1;
  }
  const nNeg = idx.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Mean AUC over the columns of a row-major [N, K] multilabel matrix (columns with one class are skipped). */
export function rocAucMacro(labels: Numbers, scores: Numbers, numColumns: number): number {
  if (labels.length !== scores.length || labels.length % numColumns !== 0)
    throw new Error(`rocAucMacro: ${labels.length} labels and ${scores.length} scores do not form rows of ${numColumns}`);
  const n = labels.length / numColumns;
  let total = 0, counted = 0;
  const y = new Float64Array(n), s = new Float64Array(n);
  for (let k = 0; k < numColumns; k++) {
    for (let i = 0; i < n; i++) {
      y[i] = labels[i * numColumns + k];
      s[i] = scores[i * numColumns + k];
    }
    const a = rocAuc(y, s);
    if (!Number.isNaN(a)) {
      total += a;
      counted++;
    }
  }
  return counted ? total / counted : NaN;
}
