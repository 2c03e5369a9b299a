// Convolution and pooling over NCHW tensors.
import type { Tensor } from '../tensor/tensor.js';
import { notImplemented } from './stub.js';

export type Pair = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

export interface Pool2dOptions {
  kernelSize: Pair;
  stride?: Pair;
  padding?: Pair;
}

/** x [N,C,H,W], weight [O, C/groups, kH, kW], bias [O]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor { return notImplemented('conv2d'); }
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor { return notImplemented('maxPool2d'); }
export function avgPool2d(x: Tensor, options: Pool2dOptions): Tensor { return notImplemented('avgPool2d'); }
