// softmax and logSoftmax along an axis, numerically stable (each slice is max-subtracted).
import type { Tensor } from '../tensor/tensor.js';
import { normAxis } from '../tensor/shape.js';
import { native } from '../native.js';
import { checkFloat, empty, recordUnary } from './core.js';

/** [outer, axis, inner] sizes of x viewed around `axis`. */
function axisView(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return [outer, shape.length === 0 ? 1 : shape[axis], inner];
}

function softmaxOp(name: string, x: Tensor, axis: number, log: boolean): Tensor {
  checkFloat(x, name);
  const ax = normAxis(axis, x.ndim, name);
  const [outer, n, inner] = axisView(x.shape, ax);
  const out = empty(x.shape, x.device);
  native.softmax_forward(out.kbuf, x.kbuf, outer, n, inner, log);
  return recordUnary(out, name, x, (gx, g) => native.softmax_backward(gx.kbuf, g.kbuf, out.kbuf, outer, n, inner, log), [out]);
}

/** exp(x) / sum(exp(x)) along `axis` (default: the last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp('softmax', x, axis, false);
}

/** x - log(sum(exp(x))) along `axis` (default: the last); finite for any finite x. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp('logSoftmax', x, axis, true);
}
