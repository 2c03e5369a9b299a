// One recorded op on the tape. `backward` receives the gradient of the op's output and
// accumulates (+=) into the gradient buffers that `grads.of(i)` hands out for input i
// (null when input i needs no gradient), micrograd-style.
import type { Tensor } from '../tensor/tensor.js';

export interface GradSink {
  /** The zero-initialised gradient buffer of input i, or null if it needs none. */
  of(i: number): Tensor | null;
  /**
   * For a backward that writes every element of input i's gradient in one kernel: the
   * buffer, and whether this is the first contribution (then it is uninitialised and the
   * kernel must overwrite it, not add to it), or null if input i needs no gradient.
   */
  write(i: number): { buf: Tensor; overwrite: boolean } | null;
  /** Adds `g` into input i's gradient (for gradients written with ops). Disposes g. */
  add(i: number, g: Tensor): void;
}

export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  backward: ((gOut: Tensor, grads: GradSink) => void) | null;
  /** Tensors the backward closure holds; released after backward unless retainGraph. */
  saved?: Tensor[];
}
