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

/** One batch: inputs keyed by feature (bags add `name.offsets`), labels keyed by task. */
export interface Batch {
  /** Rows B. */
  size: number;
  inputs: Record<string, Tensor>;
  labels: Record<string, Tensor>;
}

/** Any iterable of batches that knows how many it yields per epoch. */
export interface DataLoader extends Iterable<Batch> {
  numBatches: number;
  /** Fixes the permutation the next iteration uses. */
  reshuffle?(epoch: number): void;
}
