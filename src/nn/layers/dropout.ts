// Dropout: zeroes each element with probability p in training and scales the rest by
// 1/(1-p); identity in eval mode. The mask comes from the global generator, so a seeded
// run drops the same elements every time.
import { Tensor } from '../../tensor/tensor.js';
import { globalGenerator } from '../../tensor/random.js';
import { fromBuffer } from '../../tensor/creation.js';
import { mul } from '../../ops/elementwise.js';
import { toDevice } from '../../ops/core.js';
import { Module } from '../module.js';
import { checkProbability } from './check.js';

/** A {0, 1/(1-p)} mask of x's shape on x's device. */
export function dropoutMask(shape: readonly number[], p: number, device: Tensor['device']): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  const m = new Float32Array(n);
  const scale = p >= 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < n; i++) m[i] = globalGenerator.uniform() < p ? 0 : scale;
  const host = fromBuffer(m, shape);
  if (device === 'cpu') return host;
  const moved = toDevice(host, device);
  host.dispose();
  return moved;
}

/** Functional dropout; a no-op when not training or p is 0. */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  checkProbability(p, 'dropout');
  if (!training || p === 0) return x;
  return mul(x, dropoutMask(x.shape, p, x.device));
}

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkProbability(p, 'Dropout');
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
