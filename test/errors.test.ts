// One table of bad inputs across the library, each with the error it must raise: the
// exact message, or a regex naming the problem. Append rows for new ops; every row
// becomes its own test. A row's `run` must throw synchronously.
import test from 'ava';
import * as tl from '../src/index.js';

export interface ErrorCase {
  name: string;
  run: () => unknown;
  message: string | RegExp;
}

const f = (shape: number[]) => tl.zeros(shape);
const i32 = (data: number[], shape?: number[]) => tl.tensor(data, shape ?? null, { dtype: 'int32' });
/** A tensor that has been disposed. */
const disposed = (shape: number[] = [2]) => {
  const x = tl.ones(shape);
  x.dispose();
  return x;
};

export const errorCases: ErrorCase[] = [
  // ---- tensor creation -------------------------------------------------------------
  { name: 'zeros with a negative size', run: () => tl.zeros([2, -1]), message: 'zeros: shape [2,-1] has an invalid dimension -1 (dims must be non-negative integers)' },
  { name: 'ones with a non-integer size', run: () => tl.ones([2.5]), message: /^ones: shape \[2\.5\] has an invalid dimension 2\.5/ },
  { name: 'randn with a negative size', run: () => tl.randn([-3]), message: /^randn: shape \[-3\] has an invalid dimension -3/ },
  { name: 'too many dims', run: () => tl.zeros([1, 1, 1, 1, 1, 1, 1, 1, 1]), message: 'zeros: shape [1,1,1,1,1,1,1,1,1] has 9 dims, at most 8 are supported' },
  { name: 'ragged nested array', run: () => tl.tensor([[1, 2], [3]]), message: 'tensor: ragged nested array: expected length 2 at depth 1, got 1' },
  { name: 'ragged nested array (number for a row)', run: () => tl.tensor([[1, 2], 3] as unknown as number[][]), message: /^tensor: ragged nested array/ },
  { name: 'data that does not fill the shape', run: () => tl.tensor([1, 2, 3], [2, 2]), message: 'tensor: 3 values do not fill shape [2,2] (4 elements)' },
  { name: 'non-integer int32 data', run: () => tl.tensor([1.5], null, { dtype: 'int32' }), message: 'tensor: int32 data must be whole numbers, found 1.5 at index 0' },
  { name: 'unknown dtype', run: () => tl.zeros([2], { dtype: 'float64' as tl.DType }), message: `zeros: unknown dtype "float64" (expected 'float32' or 'int32')` },
  { name: 'unknown device', run: () => tl.zeros([2], { device: 'tpu' as tl.Device }), message: `zeros: unknown device "tpu" (expected 'cpu' or 'cuda')` },
  { name: 'string data', run: () => tl.tensor('abc' as unknown as number), message: /^tensor: data must be a number, a \(nested\) array or a typed array, got string/ },
  { name: 'randint with low >= high', run: () => tl.randint(3, 1, [2]), message: 'randint: need integers low < high, got 3 and 1' },
  { name: 'arange with step 0', run: () => tl.arange(0, 5, 0), message: 'arange: step must not be 0' },
  { name: 'item of a multi-element tensor', run: () => tl.ones([2]).item(), message: 'item: tensor [2] has 2 elements, item() needs exactly 1' },
  { name: 'requiresGrad on int32', run: () => i32([1]).requiresGrad_(), message: /^requiresGrad: only float32 tensors can require gradients/ },
  { name: 'backward from a non-scalar', run: () => tl.mul(tl.ones([2], { requiresGrad: true }), 2).backward(), message: /^backward: tensor \[2\] is not a scalar/ },

  // ---- disposed tensors -------------------------------------------------------------
  { name: 'add after dispose', run: () => tl.add(disposed(), tl.ones([2])), message: 'add: first operand [2] was already disposed' },
  { name: 'mul with a disposed second operand', run: () => tl.mul(tl.ones([2]), disposed()), message: 'mul: operand [2] was already disposed' },
  { name: 'exp after dispose', run: () => tl.exp(disposed()), message: 'exp: input [2] was already disposed' },
  { name: 'sum after dispose', run: () => tl.sum(disposed()), message: 'sum: input [2] was already disposed' },
  { name: 'reshape after dispose', run: () => tl.reshape(disposed(), [2, 1]), message: 'reshape: input [2] was already disposed' },
  { name: 'concat with a disposed tensor', run: () => tl.concat([tl.ones([2]), disposed()]), message: 'concat: tensor 1 [2] was already disposed' },
  { name: 'data() after dispose', run: () => disposed().data(), message: 'tensor [2] was already disposed' },

  // ---- wrong types and dtypes ---------------------------------------------------------
  { name: 'add with null', run: () => tl.add(null as unknown as tl.Tensor, 1), message: 'add: first operand must be a Tensor, got null' },
  { name: 'add with two numbers', run: () => tl.add(1 as unknown as tl.Tensor, 2), message: 'add: at least one operand must be a Tensor' },
  { name: 'exp of int32', run: () => tl.exp(i32([1, 2])), message: /^exp: input must be float32, got int32/ },
  { name: 'mean of int32', run: () => tl.mean(i32([1, 2])), message: /^mean: input must be float32, got int32/ },
  { name: 'indexSelect with a float index', run: () => tl.indexSelect(f([3]), 0, tl.tensor([0])), message: 'indexSelect: index must be int32, got float32 [1]' },
  { name: 'gather with a float index', run: () => tl.gather(f([3]), 0, tl.tensor([0])), message: 'gather: index must be int32, got float32 [1]' },
  { name: 'concat mixing dtypes', run: () => tl.concat([f([2]), i32([1])]), message: 'concat: tensor 1 is int32 but tensor 0 is float32' },

  // ---- shapes -------------------------------------------------------------------------
  { name: 'add with shapes that do not broadcast', run: () => tl.add(f([2, 3]), f([4, 3])), message: 'add: shapes [2,3] and [4,3] cannot be broadcast together (dim 0: 2 vs 4)' },
  { name: 'reshape to another size', run: () => tl.reshape(f([2, 3]), [5]), message: 'reshape: cannot reshape [2,3] (6 elements) to [5] (5 elements)' },
  { name: 'concat with mismatched dims', run: () => tl.concat([f([2, 3]), f([2, 4])]), message: 'concat: tensor 1 has shape [2,4] but tensor 0 has shape [2,3]; all dims except axis 0 must match' },
  { name: 'stack with different shapes', run: () => tl.stack([f([2]), f([3])]), message: 'stack: tensor 1 has shape [3] but tensor 0 has shape [2]; all must match' },
  { name: 'broadcastTo an incompatible shape', run: () => tl.broadcastTo(f([3]), [4]), message: 'broadcastTo: cannot broadcast [3] to [4]' },
  { name: 'split into uneven sections', run: () => tl.split(f([5]), 2), message: 'split: dim 0 of [5] (size 5) does not divide into 2 equal sections' },
  { name: 'squeeze a dim that is not 1', run: () => tl.squeeze(f([2, 3]), 0), message: 'squeeze: dim 0 of [2,3] has size 2, not 1' },

  // ---- axes -----------------------------------------------------------------------------
  { name: 'sum over an out-of-range axis', run: () => tl.sum(f([2, 3]), 2), message: 'sum: axis 2 is out of range for a tensor with 2 dims' },
  { name: 'max over a repeated axis', run: () => tl.max(f([2, 3]), [0, -2]), message: 'max: axis -2 is repeated' },
  { name: 'argmax over a non-integer axis', run: () => tl.argmax(f([2, 3]), 1.5), message: 'argmax: axis must be an integer, got 1.5' },
  { name: 'transpose with an out-of-range dim', run: () => tl.transpose(f([2, 3]), 0, -3), message: 'transpose: axis -3 is out of range for a tensor with 2 dims' },
  { name: 'concat along a missing axis', run: () => tl.concat([f([2]), f([2])], 1), message: 'concat: axis 1 is out of range for a tensor with 1 dims' },
  { name: 'permute with a repeated dim', run: () => tl.permute(f([2, 3]), [1, 1]), message: 'permute: [1,1] is not a permutation of the 2 dims of [2,3]' },

  // ---- indices and ranges ------------------------------------------------------------------
  { name: 'indexSelect past the end', run: () => tl.indexSelect(f([4, 3]), 0, i32([1, 4])), message: 'indexSelect: index 4 at position 1 is out of range for a dim of size 4 (axis 0 of [4,3])' },
  { name: 'indexSelect with a negative index', run: () => tl.indexSelect(f([4, 3]), 1, i32([-1])), message: 'indexSelect: index -1 at position 0 is out of range for a dim of size 3 (axis 1 of [4,3])' },
  { name: 'gather past the end', run: () => tl.gather(f([2, 3]), 1, i32([0, 3], [2, 1])), message: 'gather: index 3 at position 1 is out of range for a dim of size 3 (axis 1 of [2,3])' },
  { name: 'slice past the end', run: () => tl.slice(f([2, 3]), [1, 1], [1, 3]), message: 'slice: begin [1,1] with size [1,3] is out of range for shape [2,3] (dim 1)' },
  { name: 'narrow past the end', run: () => tl.narrow(f([4]), 0, 3, 2), message: 'narrow: start 3 with length 2 is out of range for dim 0 of [4] (size 4)' },

  // ---- empty reductions -------------------------------------------------------------------
  { name: 'mean of an empty tensor', run: () => tl.mean(f([0])), message: 'mean: cannot average over zero elements (shape [0], axes [0])' },
  { name: 'max of an empty tensor', run: () => tl.max(f([0, 2]), 0), message: 'max: cannot reduce over zero elements (shape [0,2], axes [0])' },
  { name: 'var of one element (unbiased)', run: () => tl.variance(f([1])), message: /^var: needs more than 1 element\(s\) per output for correction 1, got 1/ },
];

for (const c of errorCases) {
  test(`error: ${c.name}`, (t) => {
    const e = t.throws(c.run);
    if (!e) return;
    t.true(e instanceof Error, 'a JS Error');
    if (typeof c.message === 'string') t.is(e.message, c.message);
    else t.regex(e.message, c.message);
  });
}
