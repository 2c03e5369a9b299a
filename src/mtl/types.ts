// The batch format shared with src/data (see data-contract.md).
import type { Tensor } from '../tensor/tensor.js';

export type FeatureSpec =
  | { name: string; kind: 'categorical'; cardinality: number }
  | { name: string; kind: 'numeric'; width: number }
  | { name: string; kind: 'multihot' | 'text'; cardinality: number };

export interface Batch {
  size: number;
  inputs: Record<string, Tensor>;
  labels: Record<string, Tensor>;
}

/** Any iterable of batches that knows how many it yields per epoch. */
export interface DataLoader extends Iterable<Batch> {
  numBatches: number;
  reshuffle?(epoch: number): void;
}

/** Whole data sets as row-aligned tensors (first dim = rows); the trainer batches them. */
export interface TensorData {
  inputs: Record<string, Tensor>;
  labels: Record<string, Tensor>;
}

export type DataSource = DataLoader | TensorData;

export function isLoader(d: DataSource): d is DataLoader {
  return typeof (d as DataLoader)[Symbol.iterator] === 'function';
}
