// Argument checks shared by the layer constructors.
import type { Tensor } from '../../tensor/tensor.js';

export { checkPositiveInt } from '../../shared/checks.js';

export function checkProbability(p: unknown, layer: string, arg = 'p'): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`${layer}: ${arg} must be in [0, 1], got ${String(p)}`);
  return p;
}

export function checkRank(x: Tensor, ranks: readonly number[], layer: string, what: string): void {
  if (!ranks.includes(x.ndim))
    throw new Error(`${layer}: expected a ${ranks.join(' or ')}-D input (${what}), got shape [${x.shape.join(',')}]`);
}
