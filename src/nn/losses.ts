// User-facing losses. Cross-entropy, BCE and MSE run on the fused kernels of
// src/ops/loss.ts; Huber is composed from elementwise ops.
import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/creation.js';
import { fmt, shapesEqual } from '../tensor/shape.js';
import { abs, div, maximum, minimum, mul, square, sub, add } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { checkFloat, toDevice } from '../ops/core.js';
import { meanSquaredError, sigmoidBinaryCrossEntropy, softmaxCrossEntropy, type Reduction } from '../ops/loss.js';

export type { Reduction };

function checkReduction(r: unknown, loss: string): Reduction {
  if (r !== 'none' && r !== 'mean' && r !== 'sum')
    throw new Error(`${loss}: reduction must be 'none', 'mean' or 'sum', got ${JSON.stringify(r)}`);
  return r;
}

/** Weights given as a plain array become a float32 tensor on the logits' device. */
function asWeights(w: Tensor | readonly number[] | null | undefined, device: Tensor['device']): Tensor | null {
  if (w === null || w === undefined) return null;
  if (w instanceof Tensor) return w;
  const t = tensor(Float32Array.from(w), [w.length]);
  return toDevice(t, device);
}

export interface CrossEntropyOptions {
  /** Rows whose label equals this count for nothing (default -100). */
  ignoreIndex?: number;
  /** Per-class weights [C]. */
  classWeights?: Tensor | readonly number[] | null;
  /** Per-sample weights [N]. */
  weights?: Tensor | null;
  /** Label smoothing in [0, 1). */
  labelSmoothing?: number;
  reduction?: Reduction;
}

/** Softmax cross-entropy of logits [N, C] against int32 class labels [N]. */
export function crossEntropy(logits: Tensor, labels: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkFloat(logits, 'crossEntropy', 'logits');
  return softmaxCrossEntropy(logits, labels, {
    ignoreIndex: options.ignoreIndex ?? -100,
    classWeights: asWeights(options.classWeights, logits.device),
    sampleWeights: options.weights ?? null,
    labelSmoothing: options.labelSmoothing ?? 0,
    reduction: checkReduction(options.reduction ?? 'mean', 'crossEntropy'),
  });
}

export interface BceWithLogitsLossOptions {
  /** Weight of the positive term (a number, or per-output [..., K]). */
  posWeight?: number | Tensor | null;
  /** Per-sample weights. */
  weights?: Tensor | null;
  /** 1 where the element counts, 0 where it is masked out ('mean' divides by the count; 0 when none). */
  mask?: Tensor | null;
  reduction?: Reduction;
}

/** Binary cross-entropy on logits (numerically stable); targets in [0, 1], same shape. */
export function bceWithLogits(logits: Tensor, targets: Tensor, options: BceWithLogitsLossOptions = {}): Tensor {
  return sigmoidBinaryCrossEntropy(logits, targets, {
    posWeight: options.posWeight ?? null,
    sampleWeights: options.weights ?? null,
    mask: options.mask ?? null,
    reduction: checkReduction(options.reduction ?? 'mean', 'bceWithLogits'),
  });
}

export interface RegressionLossOptions {
  reduction?: Reduction;
  /** 1 where the element counts, 0 where it is masked out ('mean' divides by the count; 0 when none). */
  mask?: Tensor | null;
}

/** Mean squared error. */
export function mse(pred: Tensor, target: Tensor, options: RegressionLossOptions = {}): Tensor {
  return meanSquaredError(pred, target, { reduction: checkReduction(options.reduction ?? 'mean', 'mse'), mask: options.mask ?? null });
}

/**
 * Huber loss: 0.5 d^2 where |d| <= delta, delta (|d| - 0.5 delta) beyond. Written as
 * 0.5 q^2 + delta (|d| - q) with q = min(|d|, delta), which is smooth at the joint.
 */
export function huber(pred: Tensor, target: Tensor, options: RegressionLossOptions & { delta?: number } = {}): Tensor {
  const delta = options.delta ?? 1;
  if (typeof delta !== 'number' || !(delta > 0)) throw new Error(`huber: delta must be > 0, got ${String(delta)}`);
  const reduction = checkReduction(options.reduction ?? 'mean', 'huber');
  checkFloat(pred, 'huber', 'pred');
  checkFloat(target, 'huber', 'target');
  if (!shapesEqual(pred.shape, target.shape)) throw new Error(`huber: pred ${fmt(pred.shape)} and target ${fmt(target.shape)} must have the same shape`);
  const mask = options.mask ?? null;
  if (mask) {
    checkFloat(mask, 'huber', 'mask');
    if (!shapesEqual(mask.shape, pred.shape)) throw new Error(`huber: mask ${fmt(mask.shape)} must have the shape of pred ${fmt(pred.shape)}`);
  }
  const a = abs(sub(pred, target));
  const q = minimum(a, delta);
  let loss = add(mul(square(q), 0.5), mul(sub(a, q), delta));
  if (mask) loss = mul(loss, mask);
  if (reduction === 'none') return loss;
  const total = sum(loss);
  if (reduction === 'sum') return total;
  // An all-masked batch gives 0 / tiny = 0, not NaN.
  const count = mask ? maximum(sum(mask), 1e-12) : pred.size;
  return div(total, count);
}
