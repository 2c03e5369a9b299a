// Gradient plumbing on the shared parameters, in one place for every strategy that looks at
// task gradients (PCGrad, GradNorm) and for the conflict diagnostics: each task's gradient
// flattened in sharedParameters order, the arithmetic on those flat vectors (dot, norm,
// cosine, projection), and writing a combined gradient back onto the parameters.
import type { Tensor } from '../tensor/tensor.js';
import { fromBuffer } from '../tensor/creation.js';
import { keep } from '../tensor/scope.js';
import { backward } from '../autograd/engine.js';
import { toDevice } from '../ops/core.js';
import { native } from '../native.js';

/** sum_i a_i b_i over two flat gradients of the same length, accumulated in double (native: a model's gradients run to millions). */
export function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`dot: vectors of ${a.length} and ${b.length} elements`);
  return native.dot_f64(a, b, a.length);
}

/** sqrt(sum a_i^2). */
export const norm = (a: Float32Array): number => Math.sqrt(dot(a, a));

/**
 * Cosine similarity of two flat gradients, NaN when either is zero (or NaN). Callers that
 * already hold the norms pass them, so a pairwise loop computes each norm once.
 */
export function cosine(a: Float32Array, b: Float32Array, normA = norm(a), normB = norm(b)): number {
  return normA > 0 && normB > 0 ? dot(a, b) / (normA * normB) : NaN;
}

/** A new gradient w * g. */
export const scaled = (g: Float32Array, w: number): Float32Array => g.map((v) => v * w);

/** acc += g, in place. */
export function addInto(acc: Float32Array, g: Float32Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] += g[i];
}

/**
 * Removes from `g`, in place, its component along `onto`: g -= (g.onto / |onto|^2) onto,
 * leaving g on the normal plane of `onto` (PCGrad's projection). A zero `onto` leaves g as
 * it is. Pass g.onto and |onto|^2 when already known.
 */
export function removeComponent(g: Float32Array, onto: Float32Array, gDotOnto = dot(g, onto), ontoSquaredNorm = dot(onto, onto)): void {
  if (!(ontoSquaredNorm > 0)) return;
  const c = gDotOnto / ontoSquaredNorm;
  for (let i = 0; i < g.length; i++) g[i] -= c * onto[i];
}

/** Total number of elements of `params`: the length of their flat gradient. */
export const flatSize = (params: readonly Tensor[]): number => params.reduce((s, p) => s + p.size, 0);

/** The parameters' gradients end to end, in order (zeros where a parameter has none). */
export function flatGradient(params: readonly Tensor[]): Float32Array {
  const flat = new Float32Array(flatSize(params));
  let o = 0;
  for (const p of params) {
    // A host gradient is read in place: a copy of a large embedding table's gradient first
    // would double the time (and the fresh pages) of every sampled step.
    if (p.grad) flat.set(p.grad.device === 'cpu' ? (p.grad.buf as Float32Array).subarray(0, p.size) : (p.grad.data() as Float32Array), o);
    o += p.size;
  }
  return flat;
}

/**
 * Each loss's gradient on `shared`, one backward per loss with the graph retained; every
 * gradient it leaves on `all` is cleared again so the real backward starts from zero.
 */
export function taskGradients(losses: readonly Tensor[], shared: readonly Tensor[], all: readonly Tensor[]): Float32Array[] {
  const clear = (): void => all.forEach((p) => p.zeroGrad());
  clear();
  return losses.map((l) => {
    backward(l, undefined, { retainGraph: true });
    const g = flatGradient(shared);
    clear();
    return g;
  });
}

/** Replaces the gradient of each shared parameter with its slice of `flat` (gradient surgery's result). */
export function setSharedGradient(shared: readonly Tensor[], flat: Float32Array): void {
  let o = 0;
  for (const p of shared) {
    const slice = flat.subarray(o, o + p.size);
    o += p.size;
    const g = fromBuffer(Float32Array.from(slice), p.shape);
    p.zeroGrad();
    p.grad = keep(toDevice(g, p.device));
  }
}
