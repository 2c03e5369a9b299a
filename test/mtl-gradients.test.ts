// The gradient plumbing the weightings and the conflict diagnostics share: flat-vector
// arithmetic against a float64 reference, each task's gradient on the shared parameters
// against the analytic one, and writing a combined gradient back.
import test from 'ava';
import { mtl, Generator, tensor } from '../src/index.js';
import { withThreads } from './helpers/reference.js';

const { gradients } = mtl;

function randomVector(gen: Generator, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => gen.normal());
}

test('dot over awkward lengths (0, a block edge, past it): the float64 sum of float32 products, the same on 1 and 2 threads', (t) => {
  const gen = new Generator(11);
  for (const n of [0, 1, 7, 8, 9, 16383, 16384, 16385, 3 * 16384 + 5, 200_003]) {
    const a = randomVector(gen, n), b = randomVector(gen, n);
    let ref = 0, mass = 0;
    for (let i = 0; i < n; i++) {
      ref += a[i] * b[i];
      mass += Math.abs(a[i] * b[i]);
    }
    const one = withThreads(1, () => gradients.dot(a, b));
    const two = withThreads(2, () => gradients.dot(a, b));
    t.is(one, two, `n = ${n}: one result whatever the threads`);
    t.true(Math.abs(one - ref) <= 1e-14 * Math.max(mass, 1e-300), `n = ${n}: ${one} against ${ref}`);
  }
  t.throws(() => gradients.dot(new Float32Array(3), new Float32Array(4)), { message: /dot: vectors of 3 and 4 elements/ });
  // A view into a larger buffer reads its own elements.
  const big = Float32Array.from({ length: 10 }, (_, i) => i);
  t.is(gradients.dot(big.subarray(2, 5), big.subarray(5, 8)), 2 * 5 + 3 * 6 + 4 * 7);
});

test('dot, norm and cosine match a float64 reference (relative 1e-6)', (t) => {
  const gen = new Generator(3);
  const a = randomVector(gen, 1000), b = randomVector(gen, 1000);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  const close = (x: number, ref: number) => Math.abs(x - ref) <= 1e-6 * Math.max(1, Math.abs(ref));
  t.true(close(gradients.dot(a, b), ab));
  t.true(close(gradients.norm(a), Math.sqrt(aa)));
  t.true(close(gradients.cosine(a, b), ab / Math.sqrt(aa * bb)));
  t.true(close(gradients.cosine(a, gradients.scaled(a, 2)), 1), 'same direction: 1');
  t.true(close(gradients.cosine(a, gradients.scaled(a, -0.5)), -1), 'opposite: -1');
  t.true(Number.isNaN(gradients.cosine(a, new Float32Array(1000))), 'a zero gradient has no direction: NaN');
  t.is(mtl.cosine, gradients.cosine, 'the package-level cosine is the same function');
});

test('removeComponent leaves the gradient on the normal plane of the other one', (t) => {
  const gen = new Generator(4);
  const g = randomVector(gen, 50), onto = randomVector(gen, 50);
  const projected = Float32Array.from(g);
  gradients.removeComponent(projected, onto);
  t.true(Math.abs(gradients.dot(projected, onto)) < 1e-4 * gradients.norm(g) * gradients.norm(onto), 'orthogonal to onto');
  const removed = g.map((v, i) => v - projected[i]);
  t.true(Math.abs(Math.abs(gradients.cosine(removed, onto)) - 1) < 1e-4, 'what was removed lies along onto');
  const unchanged = Float32Array.from(g);
  gradients.removeComponent(unchanged, new Float32Array(50));
  t.deepEqual(unchanged, g, 'a zero direction removes nothing');
  const acc = Float32Array.from([1, 2]);
  gradients.addInto(acc, Float32Array.from([0.5, -2]));
  t.deepEqual(Array.from(acc), [1.5, 0]);
});

test('taskGradients: each loss’s gradient on the shared parameters, every gradient cleared after', (t) => {
  // Shared w (2x2) and u (3); a task parameter v. L1 = sum(w * x) + sum(v * w[0]); L2 = sum(u * u).
  const w = tensor([[1, 2], [3, 4]]).requiresGrad_();
  const u = tensor([0.5, -1, 2]).requiresGrad_();
  const v = tensor([7, 8]).requiresGrad_();
  const x = tensor([[0.1, 0.2], [0.3, 0.4]]);
  const l1 = w.mul(x).sum().add(v.mul(w.narrow(0, 0, 1).reshape([2])).sum());
  const l2 = u.mul(u).sum();
  const [g1, g2] = mtl.taskGradients([l1, l2], [w, u], [w, u, v]);
  // dL1/dw = x + [v; 0], dL1/du = 0; dL2/dw = 0, dL2/du = 2u.
  const expected1 = [7.1, 8.2, 0.3, 0.4, 0, 0, 0];
  const expected2 = [0, 0, 0, 0, 1, -2, 4];
  expected1.forEach((e, i) => t.true(Math.abs(g1[i] - e) < 1e-6, `task 1 element ${i}: ${g1[i]} vs ${e}`));
  expected2.forEach((e, i) => t.true(Math.abs(g2[i] - e) < 1e-6, `task 2 element ${i}: ${g2[i]} vs ${e}`));
  t.true([w, u, v].every((p) => p.grad === null), 'the real backward starts from zero');
});

test('flatGradient and setSharedGradient: one layout, end to end in parameter order', (t) => {
  const a = tensor([[1, 2], [3, 4]]).requiresGrad_(), b = tensor([5, 6, 7]).requiresGrad_();
  t.is(gradients.flatSize([a, b]), 7);
  t.deepEqual(Array.from(gradients.flatGradient([a, b])), [0, 0, 0, 0, 0, 0, 0], 'no gradient yet: zeros');
  const combined = Float32Array.from([1, 2, 3, 4, 5, 6, 7]);
  gradients.setSharedGradient([a, b], combined);
  t.deepEqual(a.grad!.shape, [2, 2]);
  t.deepEqual(Array.from(a.grad!.data()), [1, 2, 3, 4]);
  t.deepEqual(Array.from(b.grad!.data()), [5, 6, 7]);
  t.deepEqual(gradients.flatGradient([a, b]), combined, 'reading back gives the same flat vector');
  combined[0] = 99;
  t.is(a.grad!.data()[0], 1, 'the parameters hold a copy, not a view of the caller’s array');
});
