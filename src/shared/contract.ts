// The data ↔ model contract, written once: what the data layer produces (feature specs,
// task head specs, batches, loaders) and what the multi-task layer consumes. src/data and
// src/mtl both import it; neither imports the other.
import type { Tensor } from '../tensor/tensor.js';
import type { TargetScaler } from './target.js';

export type TaskType = 'binary' | 'multiclass' | 'multilabel' | 'regression';

/** What an input layer needs to size itself for one feature. */
export type FeatureSpec =
  | { name: string; kind: 'categorical'; cardinality: number }
  | { name: string; kind: 'numeric'; width: number }
  | { name: string; kind: 'multihot' | 'text'; cardinality: number };

/** What a model needs to size a task's head. */
export interface TaskHeadSpec {
  name: string;
  type: TaskType;
  /** Multiclass: number of classes; multilabel: K; binary and regression: 1. */
  outputs: number;
  classes?: string[];
  /** Regression: how the target is scaled for training. */
  target?: TargetScaler;
}

/**
 * One batch: inputs keyed by feature (bags add `name.offsets`), labels keyed by task. A
 * missing label is NaN (float labels) or -1 (multiclass class ids).
 */
export interface Batch {
  /** Rows B. */
  size: number;
  inputs: Record<string, Tensor>;
  labels: Record<string, Tensor>;
  /**
   * Per label: float32 1 where the entry has a label, 0 where it is missing, the label's
   * shape, on the batch's device; and the number of labelled entries. The data layer knows
   * them as it gathers the batch, so the model never reads labels back to build them.
   * Optional: a batch without them has its masks built from the labels.
   */
  masks?: Record<string, Tensor>;
  labelCounts?: Record<string, number>;
}

/** Any iterable of batches that knows how many it yields per epoch. */
export interface DataLoader extends Iterable<Batch> {
  numBatches: number;
  /** Fixes the permutation the next iteration uses. */
  reshuffle?(epoch: number): void;
}
