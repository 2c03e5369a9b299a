// Fused loss kernels. src/nn/losses builds the user-facing losses on these.
import type { Tensor } from '../tensor/tensor.js';
import { notImplemented } from './stub.js';

export type Reduction = 'none' | 'mean' | 'sum';

export interface SoftmaxCrossEntropyOptions {
  /** Rows whose label equals this are ignored (no loss, no gradient). */
  ignoreIndex?: number;
  /** Per-sample weights [N]. */
  sampleWeights?: Tensor | null;
  /** Per-class weights [C]. */
  classWeights?: Tensor | null;
  /** Label smoothing in [0, 1). */
  labelSmoothing?: number;
  reduction?: Reduction;
}

/** logits [N, C] with int32 labels [N]. */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, options: SoftmaxCrossEntropyOptions = {}): Tensor { return notImplemented('softmaxCrossEntropy'); }

export interface BceWithLogitsOptions {
  posWeight?: number | Tensor | null;
  sampleWeights?: Tensor | null;
  /** 1 where the element counts, 0 where it is masked out. */
  mask?: Tensor | null;
  reduction?: Reduction;
}

/** Sigmoid binary cross-entropy on logits; targets in [0, 1], same shape. */
export function sigmoidBinaryCrossEntropy(logits: Tensor, targets: Tensor, options: BceWithLogitsOptions = {}): Tensor { return notImplemented('sigmoidBinaryCrossEntropy'); }

export function meanSquaredError(pred: Tensor, target: Tensor, options: { reduction?: Reduction; mask?: Tensor | null } = {}): Tensor { return notImplemented('meanSquaredError'); }
