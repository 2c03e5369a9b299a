// Shape ops against plain TS references (exact: they only move data), gradients against
// finite differences, and the errors they raise.
import test from 'ava';
import * as tl from '../src/index.js';
import { forEachIndex, numel, randomArray, strides, t32, withThreads } from './helpers/reference.js';
import { forEachDevice } from './helpers/devices.js';

const i32 = (data: number[], shape?: number[]) => tl.tensor(data, shape ?? null, { dtype: 'int32' });

function rand(shape: number[]): { x: tl.Tensor; data: Float32Array } {
  const data = Float32Array.from(randomArray(numel(shape), -2, 2));
  return { x: tl.tensor(data, shape), data };
}

/** out[idx] = data[src(idx)] over `shape`: the reference for every pure data movement. */
function refMove(data: ArrayLike<number>, srcShape: number[], shape: number[], src: (idx: number[]) => number[]): number[] {
  const s = strides(srcShape);
  const out: number[] = [];
  forEachIndex(shape, (idx) => out.push(data[src(idx).reduce((acc, v, d) => acc + v * s[d], 0)]));
  return out;
}

function gradOk(t: import('ava').ExecutionContext, what: string, f: (...xs: tl.Tensor[]) => tl.Tensor, inputs: tl.Tensor[]) {
  const r = tl.gradcheck(f, inputs, { eps: 1e-3, tolerance: 1e-2 });
  t.true(r.ok, `${what}: worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
}

test('reshape shares storage, infers one -1 and reshapes its gradient back', (t) => {
  const { x, data } = rand([3, 17]);
  const y = tl.reshape(x, [17, -1]);
  t.deepEqual([...y.shape], [17, 3]);
  t.deepEqual(y.data(), data);
  t.is(y.storage, x.storage);
  t.deepEqual([...x.reshape([-1]).shape], [51]);
  t.deepEqual([...tl.reshape(tl.zeros([0, 3]), [-1, 3]).shape], [0, 3]);
  gradOk(t, 'reshape', (a) => tl.mul(tl.reshape(a, [3, 2]), tl.tensor([[1, 2], [3, 4], [5, 6]])), [t32(randomArray(6), [2, 3]).requiresGrad_()]);
});

test('reshape names both shapes when sizes differ', (t) => {
  const x = tl.zeros([2, 3]);
  t.is(t.throws(() => tl.reshape(x, [4, 2]))!.message, 'reshape: cannot reshape [2,3] (6 elements) to [4,2] (8 elements)');
  t.is(t.throws(() => tl.reshape(x, [4, -1]))!.message, 'reshape: cannot reshape [2,3] (6 elements) to [4,-1]');
  t.is(t.throws(() => tl.reshape(x, [-1, -1]))!.message, 'reshape: shape [-1,-1] has more than one -1');
  t.regex(t.throws(() => tl.reshape(x, [2.5, 2]))!.message, /^reshape: shape \[2\.5,2\] has an invalid dimension 2\.5/);
});

const permCases: [number[], number[]][] = [
  [[3, 17], [1, 0]],
  [[129, 17], [1, 0]],
  [[17, 129], [1, 0]],
  [[1, 17, 3], [2, 0, 1]],
  [[3, 17, 129], [2, 1, 0]],
  [[3, 17, 129], [0, 2, 1]],
  [[2, 3, 4, 5], [3, 1, 0, 2]],
  [[2, 1, 3, 1, 17], [4, 2, 0, 1, 3]],
];

test('permute and transpose match the reference on awkward shapes', (t) => {
  for (const [shape, perm] of permCases) {
    const { x, data } = rand(shape);
    const outShape = perm.map((d) => shape[d]);
    const ref = refMove(data, shape, outShape, (idx) => {
      const src = new Array<number>(shape.length);
      perm.forEach((d, i) => (src[d] = idx[i]));
      return src;
    });
    const y = tl.permute(x, perm);
    t.deepEqual([...y.shape], outShape);
    t.deepEqual([...y.data()], ref, `${JSON.stringify(shape)} ${JSON.stringify(perm)}`);
  }
  const m = tl.tensor([[1, 2, 3], [4, 5, 6]]);
  t.deepEqual(m.T.toArray(), [[1, 4], [2, 5], [3, 6]]);
  t.deepEqual(tl.transpose(tl.zeros([2, 3, 4]), 0, -1).shape, [4, 3, 2]);
  t.deepEqual(tl.permute(tl.tensor([[1, 2]]), [-1, 0]).toArray(), [[1], [2]]);
  t.deepEqual(tl.permute(i32([1, 2, 3, 4], [2, 2]), [1, 0]).toArray(), [[1, 3], [2, 4]]);
  t.is(tl.permute(i32([1, 2, 3, 4], [2, 2]), [1, 0]).dtype, 'int32');
});

test('permute/transpose backward apply the inverse permutation', (t) => {
  gradOk(t, 'permute', (a) => tl.permute(a, [2, 0, 1]), [t32(randomArray(24), [2, 3, 4]).requiresGrad_()]);
  gradOk(t, 'transpose', (a) => tl.transpose(a, 0, 1), [t32(randomArray(27), [9, 3]).requiresGrad_()]);
  // A large transpose takes the tiled path forward and backward.
  const x = tl.randn([40, 33]).requiresGrad_();
  const w = tl.randn([33, 40]);
  tl.sum(tl.mul(tl.transpose(x), w)).backward();
  t.deepEqual(x.grad!.data(), tl.transpose(w).data());
});

const concatCases: [number[][], number][] = [
  [[[3, 17], [5, 17]], 0],
  [[[3, 17], [3, 1], [3, 129]], 1],
  [[[2, 3, 4], [2, 1, 4]], -2],
  [[[1], [17], [3]], 0],
  [[[2, 0, 3], [2, 3, 3]], 1],
];

test('concat matches the reference and splits back', (t) => {
  for (const [shapes, axis] of concatCases) {
    const parts = shapes.map(rand);
    const ax = axis < 0 ? axis + shapes[0].length : axis;
    const y = tl.concat(parts.map((p) => p.x), axis);
    const outShape = shapes[0].slice();
    outShape[ax] = shapes.reduce((s, sh) => s + sh[ax], 0);
    t.deepEqual([...y.shape], outShape);
    const ref: number[] = [];
    forEachIndex(outShape, (idx) => {
      let k = 0, at = idx[ax];
      while (at >= shapes[k][ax]) at -= shapes[k++][ax];
      const src = idx.slice();
      src[ax] = at;
      ref.push(parts[k].data[src.reduce((acc, v, d) => acc + v * strides(shapes[k])[d], 0)]);
    });
    t.deepEqual([...y.data()], ref, JSON.stringify(shapes));
    const back = tl.split(y, shapes.map((s) => s[ax]), axis);
    back.forEach((b, i) => t.deepEqual(b.data(), parts[i].data));
  }
  t.deepEqual(tl.concat([i32([1, 2]), i32([3])]).toArray(), [1, 2, 3]);
});

test('concat and stack backward route each slice of the gradient', (t) => {
  const a = t32(randomArray(6), [2, 3]).requiresGrad_();
  const b = t32(randomArray(4), [2, 2]).requiresGrad_();
  gradOk(t, 'concat', (p, q) => tl.concat([p, q, p], 1), [a, b]);
  const c = t32(randomArray(6), [2, 3]).requiresGrad_();
  gradOk(t, 'stack', (p, q) => tl.stack([p, q], 1), [a, c]);
});

test('stack adds a dim at any position', (t) => {
  const a = tl.tensor([[1, 2], [3, 4]]);
  const b = tl.tensor([[5, 6], [7, 8]]);
  t.deepEqual(tl.stack([a, b]).toArray(), [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
  t.deepEqual(tl.stack([a, b], 1).toArray(), [[[1, 2], [5, 6]], [[3, 4], [7, 8]]]);
  t.deepEqual(tl.stack([a, b], -1).toArray(), [[[1, 5], [2, 6]], [[3, 7], [4, 8]]]);
});

test('split by sizes (one may be -1) or into equal sections; its gradient flows back', (t) => {
  const { x, data } = rand([3, 17]);
  const parts = tl.split(x, [5, -1, 2], 1);
  t.deepEqual(parts.map((p) => [...p.shape]), [[3, 5], [3, 10], [3, 2]]);
  t.deepEqual([...parts[1].data()], refMove(data, [3, 17], [3, 10], ([i, j]) => [i, j + 5]));
  t.deepEqual(tl.split(x, 3, 0).map((p) => [...p.shape]), [[1, 17], [1, 17], [1, 17]]);
  const a = t32(randomArray(12), [4, 3]).requiresGrad_();
  gradOk(t, 'split', (p) => { const [u, v] = tl.split(p, [1, 3]); return tl.concat([tl.mul(u, 2), v]); }, [a]);
  t.is(t.throws(() => tl.split(x, 4, 1))!.message, 'split: dim 1 of [3,17] (size 17) does not divide into 4 equal sections');
  t.is(t.throws(() => tl.split(x, [5, 5], 1))!.message, 'split: sizes [5,5] do not add up to dim 1 of [3,17] (size 17)');
});

test('slice and narrow copy blocks and scatter the gradient back', (t) => {
  const shape = [3, 17, 129];
  const { x, data } = rand(shape);
  const y = tl.slice(x, [1, 2, 100], [2, -1, 29]);
  t.deepEqual([...y.shape], [2, 15, 29]);
  t.deepEqual([...y.data()], refMove(data, shape, [2, 15, 29], ([i, j, k]) => [i + 1, j + 2, k + 100]));
  t.deepEqual([...tl.slice(x, [2]).shape], [1, 17, 129]);
  const n = tl.narrow(x, -1, 3, 17);
  t.deepEqual([...n.data()], refMove(data, shape, [3, 17, 17], ([i, j, k]) => [i, j, k + 3]));
  gradOk(t, 'slice', (a) => tl.slice(a, [1, 0], [2, 2]), [t32(randomArray(12), [3, 4]).requiresGrad_()]);
  gradOk(t, 'narrow', (a) => tl.narrow(a, 1, 1, 2), [t32(randomArray(12), [3, 4]).requiresGrad_()]);
  t.is(t.throws(() => tl.slice(x, [0, 16], [1, 2]))!.message, 'slice: begin [0,16] with size [1,2] is out of range for shape [3,17,129] (dim 1)');
  t.is(t.throws(() => tl.narrow(x, 0, 2, 2))!.message, 'narrow: start 2 with length 2 is out of range for dim 0 of [3,17,129] (size 3)');
});

test('indexSelect gathers rows/columns; repeated indices add up in the gradient', (t) => {
  const shape = [3, 17, 5];
  const { x, data } = rand(shape);
  const idx = [16, 0, 3, 3];
  const y = tl.indexSelect(x, 1, i32(idx));
  t.deepEqual([...y.shape], [3, 4, 5]);
  t.deepEqual([...y.data()], refMove(data, shape, [3, 4, 5], ([i, j, k]) => [i, idx[j], k]));
  const rows = tl.indexSelect(x, -3, i32([2, 2]));
  t.deepEqual([...rows.data()], refMove(data, shape, [2, 17, 5], ([i, j, k]) => [2, j, k]));
  t.deepEqual(tl.indexSelect(i32([10, 20, 30]), 0, i32([2, 0])).toArray(), [30, 10]);
  const a = t32(randomArray(12), [4, 3]).requiresGrad_();
  gradOk(t, 'indexSelect', (p) => tl.indexSelect(p, 0, i32([1, 3, 1, 1])), [a]);
  gradOk(t, 'indexSelect axis 1', (p) => tl.indexSelect(p, 1, i32([2, 2, 0])), [a]);
});

test('indexSelect and gather require int32 indices in range, naming index and dim size', (t) => {
  const x = tl.zeros([4, 3]);
  t.is(t.throws(() => tl.indexSelect(x, 0, tl.tensor([1, 2])))!.message, 'indexSelect: index must be int32, got float32 [2]');
  t.is(t.throws(() => tl.indexSelect(x, 1, i32([0, 3])))!.message, 'indexSelect: index 3 at position 1 is out of range for a dim of size 3 (axis 1 of [4,3])');
  t.is(t.throws(() => tl.indexSelect(x, 0, i32([-1])))!.message, 'indexSelect: index -1 at position 0 is out of range for a dim of size 4 (axis 0 of [4,3])');
  t.is(t.throws(() => tl.indexSelect(x, 2, i32([0])))!.message, 'indexSelect: axis 2 is out of range for a tensor with 2 dims');
  t.is(t.throws(() => tl.gather(x, 1, tl.zeros([4, 1])))!.message, 'gather: index must be int32, got float32 [4,1]');
  t.is(t.throws(() => tl.gather(x, 1, i32([0, 5], [2, 1])))!.message, 'gather: index 5 at position 1 is out of range for a dim of size 3 (axis 1 of [4,3])');
  t.is(t.throws(() => tl.gather(x, 1, i32([0, 1], [2])))!.message, 'gather: index shape [2] must have the same number of dims as input shape [4,3]');
  t.is(t.throws(() => tl.gather(x, 1, i32([0, 0, 0, 0, 0], [5, 1])))!.message, 'gather: index shape [5,1] does not fit input shape [4,3] (dim 0: 5 > 4)');
});

test('gather follows torch semantics on every axis; its gradient scatter-adds', (t) => {
  const shape = [3, 17, 5];
  const { x, data } = rand(shape);
  for (let axis = 0; axis < 3; axis++) {
    const idxShape = [2, 4, 3];
    idxShape[axis] = 6;
    const n = numel(idxShape);
    const idx = Array.from({ length: n }, (_, i) => (i * 7) % shape[axis]);
    const y = tl.gather(x, axis - 3 * (axis % 2), i32(idx, idxShape));
    t.deepEqual([...y.shape], idxShape);
    const is = strides(idxShape);
    const ref = refMove(data, shape, idxShape, (p) => {
      const src = p.slice();
      src[axis] = idx[p.reduce((acc, v, d) => acc + v * is[d], 0)];
      return src;
    });
    t.deepEqual([...y.data()], ref, `axis ${axis}`);
  }
  t.deepEqual(tl.gather(tl.tensor([[1, 2], [3, 4]]), 1, i32([0, 0, 1, 0], [2, 2])).toArray(), [[1, 1], [4, 3]]);
  const a = t32(randomArray(12), [3, 4]).requiresGrad_();
  gradOk(t, 'gather', (p) => tl.gather(p, 1, i32([0, 0, 3, 1, 2, 2], [3, 2])), [a]);
  gradOk(t, 'gather axis 0', (p) => tl.gather(p, 0, i32([2, 2, 0, 1, 0, 0, 1, 2], [2, 4])), [a]);
});

test('squeeze, unsqueeze and flatten are reshapes', (t) => {
  const x = tl.zeros([1, 3, 1, 17]);
  t.deepEqual([...tl.squeeze(x).shape], [3, 17]);
  t.deepEqual([...tl.squeeze(x, -2).shape], [1, 3, 17]);
  t.deepEqual([...tl.squeeze(x, [0, 2]).shape], [3, 17]);
  t.deepEqual([...tl.unsqueeze(x, 4).shape], [1, 3, 1, 17, 1]);
  t.deepEqual([...tl.unsqueeze(x, -1).shape], [1, 3, 1, 17, 1]);
  t.deepEqual([...tl.unsqueeze(tl.tensor(3), 0).shape], [1]);
  t.deepEqual([...tl.flatten(x).shape], [1, 51]);
  t.deepEqual([...tl.flatten(x, 0).shape], [51]);
  t.deepEqual([...tl.flatten(x, 1, 2).shape], [1, 3, 17]);
  t.deepEqual([...tl.flatten(tl.tensor(2)).shape], [1]);
  t.is(t.throws(() => tl.squeeze(x, 1))!.message, 'squeeze: dim 1 of [1,3,1,17] has size 3, not 1');
  t.is(t.throws(() => tl.unsqueeze(x, 5))!.message, 'unsqueeze: axis 5 is out of range for inserting a dim into a tensor with 4 dims (expected -5..4)');
  gradOk(t, 'squeeze+unsqueeze', (a) => tl.unsqueeze(tl.squeeze(a), 0), [t32(randomArray(6), [2, 1, 3]).requiresGrad_()]);
});

test('broadcastTo materialises the broadcast and sums the gradient back', (t) => {
  const { x, data } = rand([3, 1, 17]);
  const y = tl.broadcastTo(x, [2, 3, 5, 17]);
  t.deepEqual([...y.data()], refMove(data, [3, 1, 17], [2, 3, 5, 17], ([, i, , k]) => [i, 0, k]));
  t.deepEqual(tl.broadcastTo(tl.tensor(2), [2, 2]).toArray(), [[2, 2], [2, 2]]);
  t.deepEqual(tl.broadcastTo(i32([1, 2]), [2, 2]).toArray(), [[1, 2], [1, 2]]);
  gradOk(t, 'broadcastTo', (a) => tl.broadcastTo(a, [2, 3, 4, 3]), [t32(randomArray(9), [3, 1, 3]).requiresGrad_()]);
  t.is(t.throws(() => tl.broadcastTo(tl.zeros([2, 3]), [4, 3]))!.message, 'broadcastTo: cannot broadcast [2,3] to [4,3]');
  t.is(t.throws(() => tl.broadcastTo(tl.zeros([2, 3]), [3]))!.message, 'broadcastTo: cannot broadcast [2,3] to [3]');
});

test('concat and stack name both shapes on a mismatch', (t) => {
  const a = tl.zeros([2, 3]);
  t.is(t.throws(() => tl.concat([a, tl.zeros([4, 4])], 1))!.message, 'concat: tensor 1 has shape [4,4] but tensor 0 has shape [2,3]; all dims except axis 1 must match');
  t.is(t.throws(() => tl.concat([a, tl.zeros([2, 3, 1])]))!.message, 'concat: tensor 1 has shape [2,3,1] but tensor 0 has shape [2,3]; all dims except axis 0 must match');
  t.is(t.throws(() => tl.concat([a, i32([1, 2, 3], [1, 3])]))!.message, 'concat: tensor 1 is int32 but tensor 0 is float32');
  t.is(t.throws(() => tl.concat([]))!.message, 'concat: expects a non-empty array of tensors');
  t.is(t.throws(() => tl.concat([a], 2))!.message, 'concat: axis 2 is out of range for a tensor with 2 dims');
  t.is(t.throws(() => tl.stack([a, tl.zeros([3, 2])]))!.message, 'stack: tensor 1 has shape [3,2] but tensor 0 has shape [2,3]; all must match');
  t.is(t.throws(() => tl.permute(a, [0, 0]))!.message, 'permute: [0,0] is not a permutation of the 2 dims of [2,3]');
  t.is(t.throws(() => tl.transpose(a, 0, 2))!.message, 'transpose: axis 2 is out of range for a tensor with 2 dims');
});

test('copy_block refuses blocks that reach past a buffer', async (t) => {
  const { native } = await import('../src/native.js');
  const dst = new Float32Array(4);
  const src = new Float32Array(4);
  t.regex(t.throws(() => native.copy_block(dst, 1, [1], src, 0, [1], [4], false))!.message, /copy_block: argument 0 holds 4 elements, the kernel needs 5/);
  t.regex(t.throws(() => native.copy_block(dst, 0, [1], src, 0, [2], [4], false))!.message, /copy_block: argument 3 holds 4 elements, the kernel needs 7/);
  t.regex(t.throws(() => native.copy_block(dst, 0, [-1], src, 0, [1], [4], false))!.message, /copy_block: negative stride/);
  t.regex(t.throws(() => native.index_select_backward(dst, src, Int32Array.from([9]), 1, 4, 1, 1))!.message, /index 9 at position 0 is out of range/);
});

test('parallel copies and scatter-adds match the single-threaded result', (t) => {
  const x = tl.randn([64, 129, 17]).requiresGrad_();
  const index = tl.randint(0, 129, [300]);
  const gIndex = tl.randint(0, 64, [200, 129, 17]);
  const run = () => {
    x.zeroGrad();
    const y = tl.add(tl.sum(tl.permute(x, [2, 0, 1])), tl.sum(tl.mul(tl.indexSelect(x, 1, index), 2)));
    const z = tl.add(y, tl.sum(tl.gather(x, 0, gIndex)));
    z.backward();
    return [tl.permute(x, [1, 2, 0]).data(), x.grad!.data()];
  };
  const one = withThreads(1, run);
  const four = withThreads(4, run);
  t.deepEqual(four[0], one[0]);
  t.deepEqual(four[1], one[1]);
});

forEachDevice(test, 'clone and to() copy bits exactly: -0, denormals, infinities, NaN and int32', (t, device) => {
  const values = Float32Array.of(-0, 1e-40, -1e-45, Infinity, -Infinity, NaN, 3.5);
  const copy = tl.tensor(values, [7]).to(device).clone().to('cpu').data() as Float32Array;
  t.deepEqual(new Uint32Array(copy.buffer), new Uint32Array(values.buffer));
  const ints = i32([-(2 ** 31), 2 ** 31 - 1, 0, 7]).to(device).clone().to('cpu');
  t.is(ints.dtype, 'int32');
  t.deepEqual(Array.from(ints.data()), [-(2 ** 31), 2 ** 31 - 1, 0, 7]);
});
