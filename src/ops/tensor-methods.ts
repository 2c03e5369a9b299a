// The op methods of Tensor (x.add(y), x.matmul(w), x.backward(), x.to('cuda'), ...),
// attached here so that src/tensor depends on nothing above it, and declared by
// declaration merging so that tsc checks every call. Each method is its op function with
// the tensor as the first argument. Loaded by src/ops/index.ts.
import { Tensor } from '../tensor/tensor.js';
import { backward } from '../autograd/engine.js';
import { cast, clone, toDevice } from './core.js';
import * as elementwise from './elementwise.js';
import * as reduce from './reduce.js';
import * as shape from './shape.js';
import { matmul } from './matmul.js';
import { logSoftmax, softmax } from './softmax.js';

// An op function seen as a method: its parameters after the first (the tensor itself).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Method<F> = F extends (x: any, ...rest: infer R) => infer O ? (...rest: R) => O : never;

const { add, sub, mul, div, pow, maximum, minimum, neg, exp, log, sqrt, abs, square, relu, leakyRelu, gelu, sigmoid, tanh, silu, softplus, clamp } = elementwise;
const { sum, mean, max, min, argmax, argmin, variance } = reduce;
const { reshape, transpose, permute, squeeze, unsqueeze, flatten, broadcastTo, slice, narrow, split, indexSelect, gather } = shape;

const methods = {
  backward,
  clone,
  to: toDevice,
  cpu: (x: Tensor): Tensor => toDevice(x, 'cpu'),
  cuda: (x: Tensor): Tensor => toDevice(x, 'cuda'),
  float: (x: Tensor): Tensor => cast(x, 'float32'),
  int: (x: Tensor): Tensor => cast(x, 'int32'),
  add, sub, mul, div, pow, maximum, minimum, neg, exp, log, sqrt, abs, square, relu, leakyRelu, gelu, sigmoid, tanh, silu, softplus, clamp,
  sum, mean, max, min, argmax, argmin, var: variance,
  reshape, transpose, permute, squeeze, unsqueeze, flatten, broadcastTo, slice, narrow, split, indexSelect, gather,
  matmul, softmax, logSoftmax,
};

type Methods = { [K in keyof typeof methods]: Method<(typeof methods)[K]> };

declare module '../tensor/tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Tensor extends Methods {
    /** The transpose of a 2-D tensor (the last two dims otherwise). */
    readonly T: Tensor;
  }
}

for (const [name, f] of Object.entries(methods))
  Object.defineProperty(Tensor.prototype, name, {
    value: function (this: Tensor, ...rest: unknown[]) {
      return (f as (x: Tensor, ...r: unknown[]) => unknown)(this, ...rest);
    },
    writable: true,
    configurable: true,
  });
Object.defineProperty(Tensor.prototype, 'T', { get: function (this: Tensor) { return shape.transpose(this); }, configurable: true });
