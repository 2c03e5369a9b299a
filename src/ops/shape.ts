// Shape ops: reshape (shares storage), transpose/permute (materialised), concat,
// split, slice, indexSelect/gather, squeeze/unsqueeze, broadcastTo.
import type { Tensor } from '../tensor/tensor.js';
import { notImplemented } from './stub.js';

export function reshape(x: Tensor, shape: readonly number[]): Tensor { return notImplemented('reshape'); }
/** Swaps two dims; with no dims given, reverses all of them (a matrix transpose for 2-D). */
export function transpose(x: Tensor, dim0?: number, dim1?: number): Tensor { return notImplemented('transpose'); }
export function permute(x: Tensor, perm: readonly number[]): Tensor { return notImplemented('permute'); }
export function concat(tensors: readonly Tensor[], axis = 0): Tensor { return notImplemented('concat'); }
export function stack(tensors: readonly Tensor[], axis = 0): Tensor { return notImplemented('stack'); }
/** Splits into pieces of the given sizes, or into `sections` equal pieces. */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] { return notImplemented('split'); }
/** The block starting at `begin` with extent `size` (-1 = to the end) along every dim. */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor { return notImplemented('slice'); }
/** `length` entries from `start` along one axis. */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor { return notImplemented('narrow'); }
/** Entries of x at `index` (int32, 1-D) along `axis`. */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor { return notImplemented('indexSelect'); }
/** torch.gather: out[i][j] = x[i][index[i][j]] along `axis`; index has x's rank. */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor { return notImplemented('gather'); }
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor { return notImplemented('squeeze'); }
export function unsqueeze(x: Tensor, axis: number): Tensor { return notImplemented('unsqueeze'); }
/** Merges dims startDim..endDim into one (default: all but the first). */
export function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor { return notImplemented('flatten'); }
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor { return notImplemented('broadcastTo'); }
