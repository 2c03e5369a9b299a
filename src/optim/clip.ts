// Gradient clipping, in place on param.grad.
import type { Tensor } from '../tensor/tensor.js';
import { clamp, mul, square } from '../ops/elementwise.js';
import { abs } from '../ops/elementwise.js';
import { max, sum } from '../ops/reduce.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/engine.js';
import { copyInto } from '../nn/tensor-util.js';

export interface ClipGradNormOptions {
  /** 2 (default) or Infinity. */
  normType?: number;
  /** Throw when the total norm is NaN or infinite (default true: never a silent NaN). */
  errorIfNonfinite?: boolean;
}

/**
 * Scales all gradients together so that their joint norm is at most maxNorm.
 * Returns the total norm before clipping. Parameters without a gradient are skipped.
 */
export function clipGradNorm(params: Tensor[], maxNorm: number, options: ClipGradNormOptions = {}): number {
  const normType = options.normType ?? 2;
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be a number >= 0, got ${String(maxNorm)}`);
  if (normType !== 2 && normType !== Infinity) throw new Error(`clipGradNorm: normType must be 2 or Infinity, got ${String(normType)}`);
  const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null && g !== undefined);
  if (grads.length === 0) return 0;
  return noGrad(() =>
    tidy(() => {
      let total = 0;
      for (const g of grads) {
        if (normType === 2) total += sum(square(g)).item();
        else total = Math.max(total, max(abs(g)).item());
      }
      if (normType === 2) total = Math.sqrt(total);
      if (!Number.isFinite(total)) {
        if (options.errorIfNonfinite ?? true)
          throw new Error(`clipGradNorm: the total gradient norm is ${total}; a loss or gradient went non-finite`);
        return total;
      }
      const coef = maxNorm / (total + 1e-6);
      if (coef < 1) for (const g of grads) copyInto(g, mul(g, coef));
      return total;
    }),
  );
}

/** Clamps every gradient element to [-value, value]. */
export function clipGradValue(params: Tensor[], value: number): void {
  if (typeof value !== 'number' || !(value >= 0)) throw new Error(`clipGradValue: value must be a number >= 0, got ${String(value)}`);
  noGrad(() =>
    tidy(() => {
      for (const p of params) if (p.grad) copyInto(p.grad, clamp(p.grad, -value, value));
    }),
  );
}
