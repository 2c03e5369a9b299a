// Matrix products: matmul (2-D and batched), and the low-level gemm.
import type { Tensor } from '../tensor/tensor.js';
import { notImplemented } from './stub.js';

/** a @ b for 2-D, or batched over leading dims (broadcast). */
export function matmul(a: Tensor, b: Tensor): Tensor { return notImplemented('matmul'); }
/** x @ w^T + b with w of shape [out, in], as nn.Linear computes it (fused epilogue). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor { return notImplemented('linear'); }
