// Reverse-mode autodiff over the recorded tape: topological order, then each node's
// closure accumulates into its inputs' gradients.
import type { GradNode, GradSink } from './node.js';
import { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/scope.js';
import { fmt, shapesEqual } from '../tensor/shape.js';
import { native } from '../native.js';

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording anything for autograd. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Turns recording on or off (returns the previous setting). */
export function setGradEnabled(on: boolean): boolean {
  const prev = gradEnabled;
  gradEnabled = on;
  return prev;
}

/** True when an op on these inputs must be recorded. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/**
 * Records `out` as produced by `op` from `inputs`. `backward(g, grads)` accumulates the
 * input gradients; `saved` lists tensors it holds, released after backward.
 */
export function record(
  out: Tensor,
  op: string,
  inputs: readonly Tensor[],
  backward: (g: Tensor, grads: GradSink) => void,
  saved?: Tensor[],
): Tensor {
  if (!needsGrad(...inputs)) return out;
  out.requiresGrad = true;
  out.gradFn = { op, inputs, backward, saved };
  return out;
}

/**
 * record() for the common case of one differentiable input: `backward(gx, g)`
 * accumulates into x's gradient buffer, and is skipped when x needs none.
 */
export function recordUnary(out: Tensor, op: string, x: Tensor, backward: (gx: Tensor, g: Tensor) => void, saved?: Tensor[]): Tensor {
  return record(
    out,
    op,
    [x],
    (g, grads) => {
      const gx = grads.of(0);
      if (gx) backward(gx, g);
    },
    saved,
  );
}

function zerosLike(t: Tensor): Tensor {
  return Tensor.empty(t.shape, 'float32', t.device, true);
}

function topoOrder(root: GradNode): GradNode[] {
  const order: GradNode[] = [];
  const visited = new Set<GradNode>();
  // Iterative DFS: deep graphs (long RNN-like chains) must not overflow the JS stack.
  const stack: [GradNode, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.inputs.length) {
      top[1]++;
      const child = node.inputs[i].gradFn;
      if (child && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order;
}

/** See Tensor.backward. */
export function backward(root: Tensor, seed?: Tensor, options: { retainGraph?: boolean } = {}): void {
  if (!root.requiresGrad)
    throw new Error(`backward: tensor ${root.describe()} does not require grad (no input of it has requiresGrad set)`);
  if (seed === undefined && root.size !== 1)
    throw new Error(`backward: tensor ${root.describe()} is not a scalar; pass a seed gradient of shape ${fmt(root.shape)}`);
  if (seed !== undefined && !shapesEqual(seed.shape, root.shape))
    throw new Error(`backward: seed gradient shape ${fmt(seed.shape)} does not match tensor shape ${fmt(root.shape)}`);
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    let rootGrad: Tensor;
    if (seed) {
      rootGrad = Tensor.empty(root.shape, 'float32', root.device);
      copyInto(rootGrad, seed);
    } else {
      rootGrad = Tensor.empty(root.shape, 'float32', root.device);
      native.fill(rootGrad.kbuf, 1, rootGrad.size);
    }
    if (!root.gradFn) {
      accumulateLeaf(root, rootGrad);
      return;
    }
    const pending = new Map<GradNode, Tensor>();
    pending.set(root.gradFn, rootGrad);
    const order = topoOrder(root.gradFn);
    for (let k = order.length - 1; k >= 0; k--) {
      const node = order[k];
      const g = pending.get(node);
      if (!g) continue;
      pending.delete(node);
      if (!node.backward)
        throw new Error(
          `backward: the graph through '${node.op}' was already freed by an earlier backward(); pass { retainGraph: true } to the first call`,
        );
      // Input i's gradient buffer, and whether it was made just now (zeroed when `zero`,
      // else left for a kernel that overwrites it); null when input i needs no gradient.
      const buffer = (i: number, zero: boolean): { buf: Tensor; fresh: boolean } | null => {
        const t = node.inputs[i];
        if (!t.requiresGrad) return null;
        const existing = t.gradFn ? pending.get(t.gradFn) : t.grad;
        if (existing) return { buf: existing, fresh: false };
        const fresh = Tensor.empty(t.shape, 'float32', t.device, zero);
        if (t.gradFn) pending.set(t.gradFn, fresh);
        else t.grad = keep(fresh);
        return { buf: fresh, fresh: true };
      };
      const sink: GradSink = {
        of: (i) => buffer(i, true)?.buf ?? null,
        write(i: number): { buf: Tensor; overwrite: boolean } | null {
          const b = buffer(i, false);
          return b && { buf: b.buf, overwrite: b.fresh };
        },
        add(i: number, gi: Tensor): void {
          const b = this.of(i);
          if (b) native.axpy(b.kbuf, gi.kbuf, 1, b.size);
          gi.dispose();
        },
      };
      node.backward(g, sink);
      g.dispose();
      if (!options.retainGraph) {
        node.backward = null;
        node.saved = undefined;
      }
    }
  } finally {
    gradEnabled = prev;
  }
}

function copyInto(dst: Tensor, src: Tensor): void {
  native.fill(dst.kbuf, 0, dst.size);
  native.axpy(dst.kbuf, src.kbuf, 1, dst.size);
}

function accumulateLeaf(t: Tensor, g: Tensor): void {
  if (!t.grad) t.grad = keep(g);
  else {
    native.axpy(t.grad.kbuf, g.kbuf, 1, g.size);
    g.dispose();
  }
}

/**
 * Functional gradient for research scripts: the gradients of the scalar f(...inputs)
 * with respect to each input. Inputs are not modified; their .grad is untouched.
 */
export function grad(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): Tensor[] {
  return valueAndGrad(f, inputs).grads;
}

/** Like grad(), also returning f's value. */
export function valueAndGrad(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): { value: Tensor; grads: Tensor[] } {
  const xs = inputs.map((x) => x.detach().requiresGrad_());
  const value = f(...xs);
  if (!(value instanceof Tensor)) throw new Error('grad: f must return a Tensor');
  backward(value);
  const grads = xs.map((x) => x.grad ?? zerosLike(x));
  return { value: value.detach(), grads };
}
