// Fused optimizer updates: one pass over each parameter, in place, never recorded.
import type { Tensor } from '../tensor/tensor.js';
import { notImplemented } from './stub.js';

export interface SgdStep { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; }
/** param -= lr * update; momentumBuf is updated in place (null when momentum is 0). */
export function sgdUpdate(param: Tensor, grad: Tensor, momentumBuf: Tensor | null, h: SgdStep, firstStep: boolean): void { notImplemented('sgdUpdate'); }

export interface AdamStep { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean; step: number; amsgrad?: boolean; }
/** Adam (decoupled = false) or AdamW (decoupled = true) with bias correction. */
export function adamUpdate(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamStep, vMax?: Tensor | null): void { notImplemented('adamUpdate'); }
