// Reductions over any set of axes, with keepdims: sum, mean, max/min, argmax/argmin, var.
import type { Tensor } from '../tensor/tensor.js';
import { notImplemented } from './stub.js';

export type Axes = number | readonly number[] | null | undefined;

export function sum(x: Tensor, axes?: Axes, keepdims = false): Tensor { return notImplemented('sum'); }
export function mean(x: Tensor, axes?: Axes, keepdims = false): Tensor { return notImplemented('mean'); }
export function max(x: Tensor, axes?: Axes, keepdims = false): Tensor { return notImplemented('max'); }
export function min(x: Tensor, axes?: Axes, keepdims = false): Tensor { return notImplemented('min'); }
export function argmax(x: Tensor, axis?: number, keepdims = false): Tensor { return notImplemented('argmax'); }
export function argmin(x: Tensor, axis?: number, keepdims = false): Tensor { return notImplemented('argmin'); }
/** Variance; `correction` 1 is the unbiased estimate (PyTorch's default), 0 the population one. */
export function variance(x: Tensor, axes?: Axes, keepdims = false, correction = 1): Tensor { return notImplemented('var'); }
