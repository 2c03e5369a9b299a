// Linear: y = x @ W^T + b, the weight stored [out, in] as in PyTorch.
import type { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/creation.js';
import { linear } from '../../ops/matmul.js';
import { Module } from '../module.js';
import { kaimingUniform_, uniform_ } from '../init.js';
import { checkPositiveInt } from './check.js';

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Tensor;
  bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, { bias = true }: { bias?: boolean } = {}) {
    super();
    this.inFeatures = checkPositiveInt(inFeatures, 'Linear', 'inFeatures');
    this.outFeatures = checkPositiveInt(outFeatures, 'Linear', 'outFeatures');
    // PyTorch's default: kaiming uniform with a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in)).
    this.weight = this.registerParameter('weight', kaimingUniform_(zeros([outFeatures, inFeatures]), { a: Math.sqrt(5) }));
    const bound = 1 / Math.sqrt(inFeatures);
    this.bias = bias ? this.registerParameter('bias', uniform_(zeros([outFeatures]), -bound, bound)) : null;
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in=${this.inFeatures}, out=${this.outFeatures}${this.bias ? '' : ', bias=false'}`;
  }
}
