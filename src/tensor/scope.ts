// tidy(): free every tensor an expression made except what it returns. Training loops
// run each step inside tidy so that memory never waits for the garbage collector.
import type { Tensor } from './tensor.js';

const scopes: Set<Tensor>[] = [];

/** Called by the Tensor constructor: the innermost tidy owns the new tensor. */
export function track(t: Tensor): void {
  if (scopes.length) scopes[scopes.length - 1].add(t);
}

/** Takes a tensor out of every open tidy scope so it outlives them (parameters, state, grads). */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

function collect(value: unknown, out: Set<Tensor>, seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if ((value as { __isTensor?: boolean }).__isTensor) {
    out.add(value as Tensor);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, out, seen);
  else if (value instanceof Map) for (const v of value.values()) collect(v, out, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value as object)) collect(v, out, seen);
}

/**
 * Runs fn and disposes every tensor created during it, except the tensors found in its
 * result (directly, or inside arrays, Maps and plain objects) and those passed to keep().
 */
export function tidy<T>(fn: () => T): T {
  scopes.push(new Set());
  let result: T;
  try {
    result = fn();
  } catch (e) {
    for (const t of scopes.pop()!) t.dispose();
    throw e;
  }
  if (result instanceof Promise) {
    scopes.pop();
    throw new Error('tidy: the function must be synchronous (it returned a Promise)');
  }
  const survivors = new Set<Tensor>();
  collect(result, survivors, new Set());
  const scope = scopes.pop()!;
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (survivors.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}
