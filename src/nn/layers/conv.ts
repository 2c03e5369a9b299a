// Conv2d and the pooling layers over NCHW tensors.
import type { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/creation.js';
import { avgPool2d, conv2d, maxPool2d, type Pair } from '../../ops/conv.js';
import { Module } from '../module.js';
import { kaimingUniform_, uniform_ } from '../init.js';
import { checkPositiveInt } from './check.js';

function pair(v: Pair, layer: string, arg: string, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  for (const x of p)
    if (!Number.isInteger(x) || x < min) throw new Error(`${layer}: ${arg} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  return p;
}

const show = (p: [number, number]): string => (p[0] === p[1] ? `${p[0]}` : `(${p[0]}, ${p[1]})`);

export interface Conv2dLayerOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Tensor;
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dLayerOptions = {}) {
    super();
    this.inChannels = checkPositiveInt(inChannels, 'Conv2d', 'inChannels');
    this.outChannels = checkPositiveInt(outChannels, 'Conv2d', 'outChannels');
    this.kernelSize = pair(kernelSize, 'Conv2d', 'kernelSize', 1);
    this.stride = pair(options.stride ?? 1, 'Conv2d', 'stride', 1);
    this.padding = pair(options.padding ?? 0, 'Conv2d', 'padding', 0);
    this.dilation = pair(options.dilation ?? 1, 'Conv2d', 'dilation', 1);
    this.groups = checkPositiveInt(options.groups ?? 1, 'Conv2d', 'groups');
    if (inChannels % this.groups || outChannels % this.groups)
      throw new Error(`Conv2d: inChannels ${inChannels} and outChannels ${outChannels} must both be divisible by groups ${this.groups}`);
    const shape = [outChannels, inChannels / this.groups, ...this.kernelSize];
    this.weight = this.registerParameter('weight', kaimingUniform_(zeros(shape), { a: Math.sqrt(5) }));
    const bound = 1 / Math.sqrt((inChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1]);
    this.bias = options.bias ?? true ? this.registerParameter('bias', uniform_(zeros([outChannels]), -bound, bound)) : null;
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    const parts = [`${this.inChannels}, ${this.outChannels}`, `kernel=${show(this.kernelSize)}`];
    if (this.stride.some((s) => s !== 1)) parts.push(`stride=${show(this.stride)}`);
    if (this.padding.some((s) => s !== 0)) parts.push(`padding=${show(this.padding)}`);
    if (this.dilation.some((s) => s !== 1)) parts.push(`dilation=${show(this.dilation)}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=false');
    return parts.join(', ');
  }
}

export interface Pool2dLayerOptions {
  /** Defaults to the kernel size. */
  stride?: Pair;
  padding?: Pair;
}

abstract class Pool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(layer: string, kernelSize: Pair, options: Pool2dLayerOptions) {
    super();
    this.kernelSize = pair(kernelSize, layer, 'kernelSize', 1);
    this.stride = pair(options.stride ?? this.kernelSize, layer, 'stride', 1);
    this.padding = pair(options.padding ?? 0, layer, 'padding', 0);
  }

  protected get opts() {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding };
  }

  override extraRepr(): string {
    const parts = [`kernel=${show(this.kernelSize)}`, `stride=${show(this.stride)}`];
    if (this.padding.some((s) => s !== 0)) parts.push(`padding=${show(this.padding)}`);
    return parts.join(', ');
  }
}

export class MaxPool2d extends Pool2d {
  constructor(kernelSize: Pair, options: Pool2dLayerOptions = {}) {
    super('MaxPool2d', kernelSize, options);
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.opts);
  }
}

export class AvgPool2d extends Pool2d {
  constructor(kernelSize: Pair, options: Pool2dLayerOptions = {}) {
    super('AvgPool2d', kernelSize, options);
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.opts);
  }
}
