// Fused optimizer updates: one pass over each parameter, in place, never recorded.
// The formulas (PyTorch's torch.optim, operation by operation) are spelled out in
// native/cpu/optim.h; src/optim builds the optimizer classes on these.
//
// A non-finite gradient (NaN or +-inf) is found inside the fused update, before anything
// is written: the update throws a NonFiniteGradientError and leaves the parameter and its
// state as they were.
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { native } from '../native.js';
import { checkFloat, sameDevice } from './core.js';

function checkState(op: string, param: Tensor, grad: Tensor, state: Record<string, Tensor | null | undefined>): void {
  checkFloat(param, op, 'param');
  checkFloat(grad, op, 'grad');
  if (grad.size !== param.size) throw new Error(`${op}: grad ${fmt(grad.shape)} does not match param ${fmt(param.shape)}`);
  for (const [name, t] of Object.entries(state)) {
    if (!t) continue;
    checkFloat(t, op, name);
    if (t.size !== param.size) throw new Error(`${op}: ${name} ${fmt(t.shape)} does not match param ${fmt(param.shape)}`);
  }
  sameDevice(op, param, grad, ...Object.values(state));
}

/** A NaN or infinite gradient element stopped an update; nothing was written. */
export class NonFiniteGradientError extends Error {
  constructor(
    message: string,
    /** Flat index of the first non-finite gradient element. */
    readonly index: number,
    /** Its value: NaN, Infinity or -Infinity. */
    readonly value: number,
    /** In a multi-tensor update: the position of that gradient's parameter in the call. */
    readonly tensor?: number,
  ) {
    super(message);
    this.name = 'NonFiniteGradientError';
  }
}

/** Throws when a fused update reported a non-finite gradient element (index >= 0). */
function checkResult(op: string, param: Tensor, grad: Tensor, index: number): void {
  if (index < 0) return;
  // The error path only: one copy of the gradient to name the value.
  const value = grad.data()[index];
  throw new NonFiniteGradientError(
    `${op}: the gradient of ${param.describe()} has a non-finite value (${value} at element ${index}); the parameter and its state are unchanged`,
    index,
    value,
  );
}

function checkNumbers(op: string, h: object, names: readonly string[]): void {
  for (const k of names) {
    const v = (h as Record<string, unknown>)[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: ${k} must be a finite number, got ${String(v)}`);
  }
}

function checkStep(op: string, step: unknown): number {
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 1)
    throw new Error(`${op}: step must be an integer >= 1 (1 on the first update), got ${String(step)}`);
  return step;
}

export interface SgdStep { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; }
/**
 * param -= lr * update; momentumBuf is updated in place (null when momentum is 0).
 * On the first step (firstStep) the buffer is set to the gradient, as in PyTorch.
 */
export function sgdUpdate(param: Tensor, grad: Tensor, momentumBuf: Tensor | null, h: SgdStep, firstStep: boolean): void {
  const op = 'sgdUpdate';
  checkState(op, param, grad, { momentumBuf });
  checkNumbers(op, h, ['lr', 'momentum', 'dampening', 'weightDecay']);
  if (h.momentum !== 0 && !momentumBuf) throw new Error(`${op}: momentum ${h.momentum} needs a momentumBuf`);
  if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0))
    throw new Error(`${op}: nesterov needs momentum > 0 and dampening 0 (got momentum ${h.momentum}, dampening ${h.dampening})`);
  checkResult(op, param, grad, native.sgd_update(param.kbuf, grad.kbuf, momentumBuf?.kbuf ?? null, param.size, h.lr, h.momentum, h.dampening, h.weightDecay, !!h.nesterov, !!firstStep));
}

export interface AdamStep { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean; step: number; amsgrad?: boolean; }
/**
 * Adam (decoupled = false) or AdamW (decoupled = true) with bias correction; `step` is
 * 1 on the first update. With amsgrad, vMax holds the running max of v.
 */
export function adamUpdate(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamStep, vMax?: Tensor | null): void {
  const op = 'adamUpdate';
  checkState(op, param, grad, { m, v, vMax });
  checkNumbers(op, h, ['lr', 'beta1', 'beta2', 'eps', 'weightDecay']);
  const step = checkStep(op, h.step);
  if (!m || !v) throw new Error(`${op}: m and v state tensors are required`);
  if (h.amsgrad && !vMax) throw new Error(`${op}: amsgrad needs a vMax state tensor`);
  checkResult(op, param, grad, native.adam_update(param.kbuf, grad.kbuf, m.kbuf, v.kbuf, vMax?.kbuf ?? null, param.size, h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, !!h.decoupled, !!h.amsgrad, step));
}

export interface RmspropStep { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean; }
/** RMSprop; gradAvg is needed when centered, momentumBuf when momentum > 0. */
export function rmspropUpdate(param: Tensor, grad: Tensor, squareAvg: Tensor, h: RmspropStep, gradAvg?: Tensor | null, momentumBuf?: Tensor | null): void {
  const op = 'rmspropUpdate';
  checkState(op, param, grad, { squareAvg, gradAvg, momentumBuf });
  checkNumbers(op, h, ['lr', 'alpha', 'eps', 'weightDecay', 'momentum']);
  if (!squareAvg) throw new Error(`${op}: the squareAvg state tensor is required`);
  if (h.centered && !gradAvg) throw new Error(`${op}: centered needs a gradAvg state tensor`);
  if (h.momentum > 0 && !momentumBuf) throw new Error(`${op}: momentum ${h.momentum} needs a momentumBuf`);
  checkResult(op, param, grad, native.rmsprop_update(param.kbuf, grad.kbuf, squareAvg.kbuf, gradAvg?.kbuf ?? null, momentumBuf?.kbuf ?? null, param.size, h.lr, h.alpha, h.eps, h.weightDecay, h.momentum, !!h.centered));
}

export interface AdagradStep { lr: number; lrDecay: number; weightDecay: number; eps: number; step: number; }
/** Adagrad; `sum` starts at the initial accumulator value, `step` is 1 on the first update. */
export function adagradUpdate(param: Tensor, grad: Tensor, sum: Tensor, h: AdagradStep): void {
  const op = 'adagradUpdate';
  checkState(op, param, grad, { sum });
  checkNumbers(op, h, ['lr', 'lrDecay', 'weightDecay', 'eps']);
  const step = checkStep(op, h.step);
  if (!sum) throw new Error(`${op}: the sum state tensor is required`);
  checkResult(op, param, grad, native.adagrad_update(param.kbuf, grad.kbuf, sum.kbuf, param.size, h.lr, h.lrDecay, h.weightDecay, h.eps, step));
}

/** One parameter of a multi-tensor Adam update, with its own step (1 on its first update). */
export interface AdamTensorState { param: Tensor; grad: Tensor; m: Tensor; v: Tensor; vMax?: Tensor | null; step: number; }
/**
 * adamUpdate over many parameters in one native call (CPU tensors), all elements split
 * over the threads at once. Every gradient is checked first: when one holds a NaN or
 * infinite element, the parameters before it are updated, it and those after it are left
 * unchanged, and the NonFiniteGradientError's `tensor` names its position in `ts`.
 */
export function adamUpdateMulti(ts: readonly AdamTensorState[], h: Omit<AdamStep, 'step'>): void {
  const op = 'adamUpdateMulti';
  checkNumbers(op, h, ['lr', 'beta1', 'beta2', 'eps', 'weightDecay']);
  const n = ts.length;
  const params = new Array<Float32Array>(n), grads = new Array<Float32Array>(n), ms = new Array<Float32Array>(n), vs = new Array<Float32Array>(n);
  const vMaxes = h.amsgrad ? new Array<Float32Array>(n) : null;
  const sizes = new Array<number>(n), steps = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const { param, grad, m, v, vMax, step } = ts[i];
    checkState(op, param, grad, { m, v, vMax });
    if (param.device !== 'cpu') throw new Error(`${op}: runs on CPU tensors, got ${param.describe()} on ${param.device}`);
    if (h.amsgrad && !vMax) throw new Error(`${op}: amsgrad needs a vMax state tensor`);
    params[i] = param.buf as Float32Array;
    grads[i] = grad.buf as Float32Array;
    ms[i] = m.buf as Float32Array;
    vs[i] = v.buf as Float32Array;
    if (vMaxes) vMaxes[i] = vMax!.buf as Float32Array;
    sizes[i] = param.size;
    steps[i] = checkStep(op, step);
  }
  const bad = native.adam_update_multi(params, grads, ms, vs, vMaxes, sizes, steps, h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, !!h.decoupled, !!h.amsgrad);
  if (bad === -1) return;
  const [tensor, index] = bad as [number, number];
  const { param, grad } = ts[tensor];
  const value = grad.data()[index];
  throw new NonFiniteGradientError(
    `${op}: the gradient of ${param.describe()} has a non-finite value (${value} at element ${index}); the parameter and its state are unchanged`,
    index,
    value,
    tensor,
  );
}
