// embedding / embeddingBag against float64 references; scatter-add gradients with
// repeated indices, on one and several threads; out-of-range indices are errors.
import test from 'ava';
import * as tl from '../src/index.js';
import { AWKWARD, assertClose, randomArray, rng, t32 } from './helpers/reference.js';

const ints = (a: number[], shape?: number[]) => tl.tensor(Int32Array.from(a), shape ?? [a.length]);
const randIdx = (n: number, vocab: number) => Array.from({ length: n }, () => Math.floor(rng.uniform() * vocab));

test('embedding gathers rows for any index shape', (t) => {
  for (const dim of [...AWKWARD, 0]) {
    const vocab = 129;
    const w = randomArray(vocab * dim);
    for (const shape of [[], [1], [3], [17, 3]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const idx = randIdx(n, vocab);
      const out = tl.embedding(t32(w, [vocab, dim]), ints(idx, shape));
      t.deepEqual([...out.shape], [...shape, dim]);
      const want = idx.flatMap((v) => Array.from(Float32Array.from(w.subarray(v * dim, (v + 1) * dim))));
      t.deepEqual(Array.from(out.data()), want, `dim ${dim} shape ${JSON.stringify(shape)}`);
    }
  }
});

test('embedding backward scatter-adds repeated indices exactly, on 1 and 2 threads', (t) => {
  const prev = tl.getNumThreads();
  try {
    for (const [vocab, dim, n] of [[5, 3, 17], [129, 17, 3], [1000, 64, 4000], [3, 129, 2000]]) {
      const idx = randIdx(n, vocab);
      const g = randomArray(n * dim);
      const want = new Float64Array(vocab * dim);
      idx.forEach((v, i) => { for (let d = 0; d < dim; d++) want[v * dim + d] += Math.fround(g[i * dim + d]); });
      const grads: Float32Array[] = [];
      for (const threads of [1, 2]) {
        tl.setNumThreads(threads);
        const w = t32(randomArray(vocab * dim), [vocab, dim]).requiresGrad_();
        tl.embedding(w, ints(idx)).backward(t32(g, [n, dim]));
        // float32 sums of ~n/vocab terms in index order (up to ~700 here, partial sums ~25).
        assertClose(t, w.grad!.data(), want, { rtol: 1e-5, atol: 2e-4, what: `V=${vocab} D=${dim} n=${n} threads=${threads}` });
        grads.push(w.grad!.data() as Float32Array);
      }
      t.deepEqual(grads[0], grads[1], 'the same bits on 1 and 2 threads');
    }
  } finally {
    tl.setNumThreads(prev);
  }
});

test('embedding backward matches finite differences', (t) => {
  const w = t32(randomArray(6 * 4), [6, 4]).requiresGrad_();
  const r = tl.gradcheck((a) => tl.embedding(a, ints([0, 5, 2, 5, 5], [5])), [w], { eps: 1e-3, tolerance: 1e-2 });
  t.true(r.ok, `worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
});

test('embedding errors name the index and the vocabulary size', (t) => {
  const w = tl.zeros([10, 4]);
  t.is(t.throws(() => tl.embedding(w, ints([1, 10, 2])))?.message, 'embedding: index 10 at position 1 is out of range for a vocabulary of 10 rows');
  t.is(t.throws(() => tl.embedding(w, ints([-1])))?.message, 'embedding: index -1 at position 0 is out of range for a vocabulary of 10 rows');
  t.regex(t.throws(() => tl.embedding(w, tl.tensor([1, 2])))!.message, /^embedding: indices must be int32, got float32/);
  t.is(t.throws(() => tl.embedding(tl.zeros([10]), ints([1])))?.message, 'embedding: weight must be 2-D [vocab, dim], got [10]');
  // Indices changed after forward are checked again in backward.
  const wg = tl.zeros([10, 4]).requiresGrad_();
  const idx = ints([1, 2]);
  const out = tl.embedding(wg, idx);
  (idx.buf as Int32Array)[0] = 99;
  t.is(t.throws(() => out.backward(tl.ones([2, 4])))?.message, 'embedding: index 99 at position 0 is out of range for a vocabulary of 10 rows');
});

function refBag(w: Float64Array, dim: number, idx: number[], offsets: number[], mean: boolean, per: Float64Array | null): Float64Array {
  const out = new Float64Array(offsets.length * dim);
  offsets.forEach((lo, b) => {
    const hi = b + 1 < offsets.length ? offsets[b + 1] : idx.length;
    for (let i = lo; i < hi; i++)
      for (let d = 0; d < dim; d++) out[b * dim + d] += (per ? per[i] : 1) * w[idx[i] * dim + d];
    if (mean && hi > lo) for (let d = 0; d < dim; d++) out[b * dim + d] /= hi - lo;
  });
  return out;
}

test('embeddingBag sums and means bags, with per-index weights and empty bags', (t) => {
  for (const dim of AWKWARD) {
    const vocab = 17;
    const w = Float64Array.from(Float32Array.from(randomArray(vocab * dim)));
    const idx = randIdx(40, vocab);
    const offsets = [0, 0, 3, 20, 20, 39]; // empty bags at 0 and 3
    const per = Float64Array.from(Float32Array.from(randomArray(40, 0, 2)));
    for (const mode of ['sum', 'mean'] as const)
      for (const p of [null, per]) {
        const out = tl.embeddingBag(t32(w, [vocab, dim]), ints(idx), ints(offsets), mode, p ? t32(p, [40]) : null);
        t.deepEqual([...out.shape], [offsets.length, dim]);
        assertClose(t, out.data(), refBag(w, dim, idx, offsets, mode === 'mean', p), { rtol: 1e-5, atol: 1e-6, what: `dim ${dim} ${mode} per=${!!p}` });
      }
  }
});

test('embeddingBag gradients (weight and per-index weights) match finite differences', (t) => {
  const idx = ints([0, 3, 3, 1, 4, 2, 0]);
  const offsets = ints([0, 2, 2, 5]);
  for (const mode of ['sum', 'mean'] as const) {
    const w = t32(randomArray(5 * 3), [5, 3]).requiresGrad_();
    const per = t32(randomArray(7, 0.5, 2), [7]).requiresGrad_();
    const r = tl.gradcheck((a, p) => tl.embeddingBag(a, idx, offsets, mode, p), [w, per], { eps: 1e-3, tolerance: 1e-2 });
    t.true(r.ok, `${mode}: worst ${r.maxError} at ${JSON.stringify(r.worst)}`);
    const w2 = t32(randomArray(5 * 3), [5, 3]).requiresGrad_();
    const r2 = tl.gradcheck((a) => tl.embeddingBag(a, idx, offsets, mode), [w2], { eps: 1e-3, tolerance: 1e-2 });
    t.true(r2.ok, `${mode} without weights: worst ${r2.maxError}`);
  }
});

test('embeddingBag errors name bad indices and offsets', (t) => {
  const w = tl.zeros([4, 2]);
  t.is(t.throws(() => tl.embeddingBag(w, ints([0, 4]), ints([0])))?.message, 'embeddingBag: index 4 at position 1 is out of range for a vocabulary of 4 rows');
  t.is(t.throws(() => tl.embeddingBag(w, ints([0, 1]), ints([1])))?.message, 'embeddingBag: offsets must start at 0, got 1');
  t.is(t.throws(() => tl.embeddingBag(w, ints([0, 1]), ints([0, 2, 1])))?.message,
    'embeddingBag: offsets[2] = 1 is out of order: offsets must be non-decreasing, from 0 to at most 2 (the number of indices)');
  t.is(t.throws(() => tl.embeddingBag(w, ints([0, 1]), ints([0, 3])))?.message,
    'embeddingBag: offsets[1] = 3 is out of order: offsets must be non-decreasing, from 0 to at most 2 (the number of indices)');
  t.is(t.throws(() => tl.embeddingBag(w, ints([0, 1]), ints([0]), 'max' as 'sum'))?.message, `embeddingBag: mode must be 'sum' or 'mean', got "max"`);
  t.is(t.throws(() => tl.embeddingBag(w, ints([0, 1]), ints([0]), 'sum', tl.ones([3])))?.message, 'embeddingBag: perIndexWeights [3] must match indices [2]');
});
