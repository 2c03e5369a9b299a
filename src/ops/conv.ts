// Convolution and pooling over NCHW tensors, each with its gradient.
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { native } from '../native.js';
import { checkFloat, empty, record, sameDevice } from './core.js';

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

function pair(op: string, name: string, v: Pair | undefined, fallback: number, min: number): [number, number] {
  const p: readonly number[] = v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) && typeof v !== 'number' && v !== undefined) throw new Error(`${op}: ${name} must be a number or a pair, got ${String(v)}`);
  if (p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min))
    throw new Error(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  return [p[0], p[1]];
}

function outSize(op: string, axis: string, input: number, k: number, stride: number, pad: number, dil: number): number {
  const span = dil * (k - 1) + 1;
  if (input + 2 * pad < span)
    throw new Error(`${op}: kernel ${axis} extent ${span} is larger than the padded input ${axis} ${input + 2 * pad}`);
  return Math.floor((input + 2 * pad - span) / stride) + 1;
}

/** x [N,C,H,W], weight [O, C/groups, kH, kW], bias [O]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  checkFloat(x, op, 'input');
  checkFloat(weight, op, 'weight');
  if (bias) checkFloat(bias, op, 'bias');
  const device = sameDevice(op, x, weight, bias);
  if (x.ndim !== 4) throw new Error(`${op}: input must be 4-D [N,C,H,W], got ${fmt(x.shape)}`);
  if (weight.ndim !== 4) throw new Error(`${op}: weight must be 4-D [O,C/groups,kH,kW], got ${fmt(weight.shape)}`);
  const [sh, sw] = pair(op, 'stride', options.stride, 1, 1);
  const [ph, pw] = pair(op, 'padding', options.padding, 0, 0);
  const [dh, dw] = pair(op, 'dilation', options.dilation, 1, 1);
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${op}: groups must be a positive integer, got ${groups}`);
  const [n, c, h, w] = x.shape;
  const [o, cg, kh, kw] = weight.shape;
  if (c % groups !== 0) throw new Error(`${op}: groups ${groups} does not divide the input's ${c} channels`);
  if (o % groups !== 0) throw new Error(`${op}: groups ${groups} does not divide the weight's ${o} output channels`);
  if (cg * groups !== c)
    throw new Error(`${op}: input ${fmt(x.shape)} has ${c} channels but weight ${fmt(weight.shape)} expects ${cg * groups} (${cg} per group x ${groups} groups)`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== o))
    throw new Error(`${op}: bias must have shape [${o}] to match weight ${fmt(weight.shape)}, got ${fmt(bias.shape)}`);
  const oh = outSize(op, 'height', h, kh, sh, ph, dh);
  const ow = outSize(op, 'width', w, kw, sw, pw, dw);
  const dims = [n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups];
  const out = empty([n, o, oh, ow], device);
  native.conv2d_forward(out.kbuf, x.kbuf, weight.kbuf, bias ? bias.kbuf : null, dims);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(
    out,
    op,
    inputs,
    (g, grads) => {
      const gx = grads.of(0), gw = grads.of(1), gb = bias ? grads.of(2) : null;
      if (gx || gw || gb) native.conv2d_backward(gx?.kbuf ?? null, gw?.kbuf ?? null, gb?.kbuf ?? null, g.kbuf, x.kbuf, weight.kbuf, dims);
    },
    inputs,
  );
}

function poolSetup(op: string, x: Tensor, options: Pool2dOptions) {
  checkFloat(x, op, 'input');
  if (x.ndim !== 4) throw new Error(`${op}: input must be 4-D [N,C,H,W], got ${fmt(x.shape)}`);
  if (!options || options.kernelSize === undefined) throw new Error(`${op}: options.kernelSize is required`);
  const [kh, kw] = pair(op, 'kernelSize', options.kernelSize, 1, 1);
  const [sh, sw] = pair(op, 'stride', options.stride ?? [kh, kw], 1, 1);
  const [ph, pw] = pair(op, 'padding', options.padding, 0, 0);
  if (2 * ph > kh || 2 * pw > kw)
    throw new Error(`${op}: padding [${ph},${pw}] must be at most half the kernel size [${kh},${kw}]`);
  const [n, c, h, w] = x.shape;
  const oh = outSize(op, 'height', h, kh, sh, ph, 1);
  const ow = outSize(op, 'width', w, kw, sw, pw, 1);
  return { dims: [n, c, h, w, kh, kw, sh, sw, ph, pw], outShape: [n, c, oh, ow] };
}

/** Max over each window (stride defaults to the kernel size); the gradient goes to the max. */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const { dims, outShape } = poolSetup('maxPool2d', x, options);
  const out = empty(outShape, x.device);
  const argmax = empty(outShape, x.device, 'int32');
  native.maxpool2d_forward(out.kbuf, argmax.kbuf, x.kbuf, dims);
  return record(
    out,
    'maxPool2d',
    [x],
    (g, grads) => {
      const gx = grads.of(0);
      if (gx) native.maxpool2d_backward(gx.kbuf, g.kbuf, argmax.kbuf, dims);
    },
    [argmax],
  );
}

/** Mean over each window, padding counted as zeros (PyTorch's default count_include_pad). */
export function avgPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const { dims, outShape } = poolSetup('avgPool2d', x, options);
  const out = empty(outShape, x.device);
  native.avgpool2d_forward(out.kbuf, x.kbuf, dims);
  return record(out, 'avgPool2d', [x], (g, grads) => {
    const gx = grads.of(0);
    if (gx) native.avgpool2d_backward(gx.kbuf, g.kbuf, dims);
  });
}
