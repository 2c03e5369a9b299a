// softmax and logSoftmax along an axis, numerically stable.
import type { Tensor } from '../tensor/tensor.js';
import { notImplemented } from './stub.js';

export function softmax(x: Tensor, axis = -1): Tensor { return notImplemented('softmax'); }
export function logSoftmax(x: Tensor, axis = -1): Tensor { return notImplemented('logSoftmax'); }
