// Normalisation layers composed from reductions and elementwise ops. BatchNorm keeps
// running statistics as buffers (saved with the model, used in eval mode).
import type { Tensor } from '../../tensor/tensor.js';
import { ones, zeros } from '../../tensor/creation.js';
import { add, mul, sqrt, square, sub, div } from '../../ops/elementwise.js';
import { mean } from '../../ops/reduce.js';
import { reshape } from '../../ops/shape.js';
import { noGrad } from '../../autograd/engine.js';
import { fmt } from '../../tensor/shape.js';
import { Module } from '../module.js';
import { copyInto } from '../tensor-util.js';
import { checkPositiveInt } from './check.js';

export interface BatchNormOptions {
  momentum?: number;
  eps?: number;
  /** Learnable scale and shift (default true). */
  affine?: boolean;
}

abstract class BatchNorm extends Module {
  readonly momentum: number;
  readonly eps: number;
  weight: Tensor | null;
  bias: Tensor | null;
  runningMean: Tensor;
  runningVar: Tensor;

  constructor(readonly numFeatures: number, private readonly ranks: readonly number[], options: BatchNormOptions) {
    super();
    checkPositiveInt(numFeatures, this.typeName, 'numFeatures');
    this.momentum = options.momentum ?? 0.1;
    this.eps = options.eps ?? 1e-5;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new Error(`${this.typeName}: momentum must be in [0, 1], got ${this.momentum}`);
    if (!(this.eps > 0)) throw new Error(`${this.typeName}: eps must be > 0, got ${this.eps}`);
    const affine = options.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones([numFeatures])) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([numFeatures])) : null;
    this.runningMean = this.registerBuffer('runningMean', zeros([numFeatures]));
    this.runningVar = this.registerBuffer('runningVar', ones([numFeatures]));
  }

  forward(x: Tensor): Tensor {
    if (!this.ranks.includes(x.ndim) || x.shape[1] !== this.numFeatures)
      throw new Error(
        `${this.typeName}(${this.numFeatures}): expected a ${this.ranks.join(' or ')}-D input with ${this.numFeatures} channels in dim 1, got ${fmt(x.shape)}`,
      );
    const axes = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
    let xhat: Tensor;
    if (this.training) {
      const count = x.size / this.numFeatures;
      if (count < 2) throw new Error(`${this.typeName}: training needs more than 1 value per channel, got input ${fmt(x.shape)}`);
      const mu = mean(x, axes, true);
      const centered = sub(x, mu);
      const v = mean(square(centered), axes, true);
      xhat = div(centered, sqrt(add(v, this.eps)));
      noGrad(() => {
        const m = this.momentum;
        const unbiased = mul(v, count / (count - 1));
        copyInto(this.runningMean, add(mul(this.runningMean, 1 - m), mul(reshape(mu, [this.numFeatures]), m)));
        copyInto(this.runningVar, add(mul(this.runningVar, 1 - m), mul(reshape(unbiased, [this.numFeatures]), m)));
      });
    } else {
      const mu = reshape(this.runningMean, bshape);
      const sd = sqrt(add(reshape(this.runningVar, bshape), this.eps));
      xhat = div(sub(x, mu), sd);
    }
    if (this.weight && this.bias) return add(mul(xhat, reshape(this.weight, bshape)), reshape(this.bias, bshape));
    return xhat;
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}${this.weight ? '' : ', affine=false'}`;
  }
}

/** Batch norm over [N, C] or [N, C, L] inputs. */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, [2, 3], options);
  }
}

/** Batch norm over [N, C, H, W] inputs, per channel. */
export class BatchNorm2d extends BatchNorm {
  constructor(numChannels: number, options: BatchNormOptions = {}) {
    super(numChannels, [4], options);
  }
}

/** Normalises over the trailing dims given by `shape` (a number means the last dim). */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  weight: Tensor | null;
  bias: Tensor | null;

  constructor(shape: number | readonly number[], { eps = 1e-5, elementwiseAffine = true }: { eps?: number; elementwiseAffine?: boolean } = {}) {
    super();
    this.normalizedShape = typeof shape === 'number' ? [shape] : [...shape];
    if (this.normalizedShape.length === 0) throw new Error('LayerNorm: shape must have at least one dim');
    for (const d of this.normalizedShape) checkPositiveInt(d, 'LayerNorm', 'shape');
    if (!(eps > 0)) throw new Error(`LayerNorm: eps must be > 0, got ${eps}`);
    this.eps = eps;
    this.weight = elementwiseAffine ? this.registerParameter('weight', ones(this.normalizedShape)) : null;
    this.bias = elementwiseAffine ? this.registerParameter('bias', zeros(this.normalizedShape)) : null;
  }

  forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.ndim - k);
    if (x.ndim < k || tail.some((d, i) => d !== this.normalizedShape[i]))
      throw new Error(`LayerNorm: input ${fmt(x.shape)} does not end with the normalised shape ${fmt(this.normalizedShape)}`);
    const axes = Array.from({ length: k }, (_, i) => x.ndim - k + i);
    const centered = sub(x, mean(x, axes, true));
    const v = mean(square(centered), axes, true);
    const xhat = div(centered, sqrt(add(v, this.eps)));
    if (this.weight && this.bias) return add(mul(xhat, this.weight), this.bias);
    return xhat;
  }

  override extraRepr(): string {
    return `${fmt(this.normalizedShape)}, eps=${this.eps}`;
  }
}
