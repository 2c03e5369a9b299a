// The losses: cross-entropy, BCE and MSE on fused kernels, Huber composed from elementwise
// ops. This is the one loss layer: nn.losses and the top-level exports are these functions.
//
// Reductions: 'none' keeps one loss per row (cross-entropy) or element (BCE, MSE);
// 'sum' adds them; 'mean' divides the sum by the total weight of what counts: the sum of
// sampleWeight * classWeight[label] over unignored rows (PyTorch's rule for class weights),
// the sum of sampleWeight over unmasked elements (BCE), the unmasked count (MSE). When
// nothing counts, 'mean' gives 0 and zero gradients, never NaN. Weights, masks and labels
// get no gradient.
import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/creation.js';
import { fmt, numel, shapesEqual } from '../tensor/shape.js';
import { native } from '../native.js';
import { checkFloat, checkInt, empty, record, sameDevice, toDevice } from './core.js';
import { callKernel } from './kernel-call.js';
import { abs, add, div, maximum, minimum, mul, square, sub } from './elementwise.js';
import { sum } from './reduce.js';

export type Reduction = 'none' | 'mean' | 'sum';

const reductionCode = { none: 0, mean: 1, sum: 2 } as const;

function checkReduction(op: string, r: unknown): Reduction {
  if (r !== 'none' && r !== 'mean' && r !== 'sum')
    throw new Error(`${op}: reduction must be 'none', 'mean' or 'sum', got ${JSON.stringify(r)}`);
  return r;
}

/** An optional float32 operand of `shape` (a flat 1-D tensor of the same size also fits). */
function checkOptional(op: string, arg: string, t: Tensor | null | undefined, shape: readonly number[]): Tensor | null {
  if (t === null || t === undefined) return null;
  checkFloat(t, op, arg);
  const fits = shapesEqual(t.shape, shape) || (t.ndim <= 1 && t.size === numel(shape));
  if (!fits) throw new Error(`${op}: ${arg} must have shape ${fmt(shape)}, got ${fmt(t.shape)}`);
  return t;
}

/** Records the loss; the kernel's saved scratch (lse, norm) is freed at once when not recorded. */
function finishLoss(out: Tensor, op: string, inputs: Tensor[], backward: Parameters<typeof record>[3], saved: Tensor[], scratch: Tensor[]): Tensor {
  const res = record(out, op, inputs, backward, saved);
  if (!res.gradFn) for (const s of scratch) s.dispose();
  return res;
}

/** Weights given as a plain array become a float32 tensor on the logits' device. */
function asWeights(w: Tensor | readonly number[] | null | undefined, device: Tensor['device']): Tensor | null {
  if (w === null || w === undefined || w instanceof Tensor) return w ?? null;
  return toDevice(tensor(Float32Array.from(w), [w.length]), device);
}

export interface CrossEntropyOptions {
  /** Rows whose label equals this are ignored (no loss, no gradient). Default -100. */
  ignoreIndex?: number;
  /** Per-sample weights [N]. */
  weights?: Tensor | null;
  /** Per-class weights [C], a tensor or an array. */
  classWeights?: Tensor | readonly number[] | null;
  /** Label smoothing in [0, 1): the target is (1 - s) * onehot + s / C. */
  labelSmoothing?: number;
  reduction?: Reduction;
}

/**
 * Cross-entropy of softmax(logits) against int32 class labels, fused (one pass forward,
 * one backward, max-subtracted so any finite logits give a finite loss). logits [N, C],
 * labels [N]. A label outside [0, C) that is not the ignore index is an error.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  checkFloat(logits, op, 'logits');
  checkInt(labels, op, 'labels');
  if (logits.ndim !== 2) throw new Error(`${op}: logits must be 2-D [N, C], got ${fmt(logits.shape)}`);
  const [n, c] = logits.shape;
  if (c < 1) throw new Error(`${op}: logits ${fmt(logits.shape)} have no classes`);
  if (labels.ndim !== 1 || labels.shape[0] !== n)
    throw new Error(`${op}: labels must have shape [${n}] to match logits ${fmt(logits.shape)}, got ${fmt(labels.shape)}`);
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex) || Math.abs(ignoreIndex) > 2 ** 31 - 1)
    throw new Error(`${op}: ignoreIndex must be an int32 integer, got ${String(ignoreIndex)}`);
  const smoothing = options.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing < 1))
    throw new Error(`${op}: labelSmoothing must be in [0, 1), got ${String(smoothing)}`);
  const reduction = checkReduction(op, options.reduction ?? 'mean');
  const sw = checkOptional(op, 'weights', options.weights, [n]);
  const cw = checkOptional(op, 'classWeights', asWeights(options.classWeights, logits.device), [c]);
  const device = sameDevice(op, logits, labels, sw, cw);
  const code = reductionCode[reduction];
  const out = empty(reduction === 'none' ? [n] : [], device);
  const lse = empty([n], device);
  const norm = empty([1], device);
  const tail = [n, c, ignoreIndex, smoothing, sw?.kbuf ?? null, cw?.kbuf ?? null, code] as const;
  callKernel(op, () => native.softmax_cross_entropy_forward(out.kbuf, lse.kbuf, norm.kbuf, logits.kbuf, labels.kbuf, ...tail), { dispose: [out, lse, norm] });
  return finishLoss(
    out,
    op,
    [logits],
    (g, grads) => {
      const gl = grads.of(0);
      if (gl) callKernel(op, () => native.softmax_cross_entropy_backward(gl.kbuf, g.kbuf, logits.kbuf, labels.kbuf, lse.kbuf, norm.kbuf, ...tail));
    },
    [logits, labels, lse, norm],
    [lse, norm],
  );
}

export interface BceWithLogitsOptions {
  /** Weight of the positive term: a number, or a tensor with one entry per column. */
  posWeight?: number | Tensor | null;
  /** Per-sample weights [N] (N = the first dim of logits). */
  weights?: Tensor | null;
  /** 1 where the element counts, 0 where it is masked out; logits' shape. */
  mask?: Tensor | null;
  reduction?: Reduction;
}

/**
 * Sigmoid binary cross-entropy on logits, in the stable form
 * max(x, 0) - x t + log1p(exp(-|x|)) (with posWeight pw: (1 - t) x + (1 + (pw - 1) t) softplus(-x)).
 * Targets in [0, 1], same shape as logits; logits [N, ...] are viewed as [N, C].
 * Gradients flow to logits and to targets.
 */
export function bceWithLogits(logits: Tensor, targets: Tensor, options: BceWithLogitsOptions = {}): Tensor {
  const op = 'bceWithLogits';
  checkFloat(logits, op, 'logits');
  checkFloat(targets, op, 'targets');
  if (!shapesEqual(logits.shape, targets.shape))
    throw new Error(`${op}: logits ${fmt(logits.shape)} and targets ${fmt(targets.shape)} must have the same shape`);
  const rows = logits.ndim === 0 ? 1 : logits.shape[0];
  const cols = numel(logits.shape.slice(1));
  const reduction = checkReduction(op, options.reduction ?? 'mean');
  const sw = checkOptional(op, 'weights', options.weights, [rows]);
  const mask = checkOptional(op, 'mask', options.mask, logits.shape);
  let pwScalar = 1;
  let pw: Tensor | null = null;
  const pwOpt = options.posWeight ?? null;
  if (typeof pwOpt === 'number') {
    if (!Number.isFinite(pwOpt)) throw new Error(`${op}: posWeight must be a finite number, got ${pwOpt}`);
    pwScalar = pwOpt;
  } else if (pwOpt !== null) {
    checkFloat(pwOpt, op, 'posWeight');
    if (pwOpt.size !== cols)
      throw new Error(`${op}: posWeight ${fmt(pwOpt.shape)} must have one entry per column (${cols}) of logits ${fmt(logits.shape)}`);
    pw = pwOpt;
  }
  const device = sameDevice(op, logits, targets, sw, mask, pw);
  const code = reductionCode[reduction];
  const out = empty(reduction === 'none' ? logits.shape : [], device);
  const norm = empty([1], device);
  const tail = [rows, cols, pwScalar, pw?.kbuf ?? null, sw?.kbuf ?? null, mask?.kbuf ?? null, code] as const;
  native.bce_with_logits_forward(out.kbuf, norm.kbuf, logits.kbuf, targets.kbuf, ...tail);
  return finishLoss(
    out,
    op,
    [logits, targets],
    (g, grads) => {
      const gx = grads.of(0);
      const gt = grads.of(1);
      if (gx || gt) native.bce_with_logits_backward(gx?.kbuf ?? null, gt?.kbuf ?? null, g.kbuf, logits.kbuf, targets.kbuf, norm.kbuf, ...tail);
    },
    [logits, targets, norm],
    [norm],
  );
}

export interface RegressionLossOptions {
  reduction?: Reduction;
  /** 1 where the element counts, 0 where it is masked out ('mean' divides by the count; 0 when none). */
  mask?: Tensor | null;
}

/** Mean squared error: (pred - target)^2, with an optional mask (0 = ignored); gradients flow to both. */
export function mse(pred: Tensor, target: Tensor, options: RegressionLossOptions = {}): Tensor {
  const op = 'mse';
  checkFloat(pred, op, 'pred');
  checkFloat(target, op, 'target');
  if (!shapesEqual(pred.shape, target.shape))
    throw new Error(`${op}: pred ${fmt(pred.shape)} and target ${fmt(target.shape)} must have the same shape`);
  const reduction = checkReduction(op, options.reduction ?? 'mean');
  const mask = checkOptional(op, 'mask', options.mask, pred.shape);
  const device = sameDevice(op, pred, target, mask);
  const code = reductionCode[reduction];
  const out = empty(reduction === 'none' ? pred.shape : [], device);
  const norm = empty([1], device);
  native.mse_forward(out.kbuf, norm.kbuf, pred.kbuf, target.kbuf, mask?.kbuf ?? null, pred.size, code);
  return finishLoss(
    out,
    op,
    [pred, target],
    (g, grads) => {
      const gp = grads.of(0);
      const gt = grads.of(1);
      if (gp || gt) native.mse_backward(gp?.kbuf ?? null, gt?.kbuf ?? null, g.kbuf, pred.kbuf, target.kbuf, mask?.kbuf ?? null, norm.kbuf, pred.size, code);
    },
    [pred, target, norm],
    [norm],
  );
}

/**
 * Huber loss: 0.5 d^2 where |d| <= delta, delta (|d| - 0.5 delta) beyond. Written as
 * 0.5 q^2 + delta (|d| - q) with q = min(|d|, delta), which is smooth at the joint.
 */
export function huber(pred: Tensor, target: Tensor, options: RegressionLossOptions & { delta?: number } = {}): Tensor {
  const op = 'huber';
  const delta = options.delta ?? 1;
  if (typeof delta !== 'number' || !(delta > 0)) throw new Error(`${op}: delta must be > 0, got ${String(delta)}`);
  const reduction = checkReduction(op, options.reduction ?? 'mean');
  checkFloat(pred, op, 'pred');
  checkFloat(target, op, 'target');
  if (!shapesEqual(pred.shape, target.shape)) throw new Error(`${op}: pred ${fmt(pred.shape)} and target ${fmt(target.shape)} must have the same shape`);
  const mask = checkOptional(op, 'mask', options.mask, pred.shape);
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
