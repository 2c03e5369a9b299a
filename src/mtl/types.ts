// What the trainer reads: the data contract's batches and loaders (src/shared/contract.ts),
// or whole data sets as tensors.
import type { Tensor } from '../tensor/tensor.js';
import type { Batch, DataLoader } from '../shared/contract.js';
export type { Batch, DataLoader, FeatureSpec } from '../shared/contract.js';

/** Whole data sets as row-aligned tensors (first dim = rows); the trainer batches them. */
export interface TensorData {
  inputs: Record<string, Tensor>;
  labels: Record<string, Tensor>;
}

export type DataSource = DataLoader | TensorData;

export function isLoader(d: DataSource): d is DataLoader {
  return typeof (d as DataLoader)[Symbol.iterator] === 'function';
}
