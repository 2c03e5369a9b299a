// MLP: Linear + activation (+ BatchNorm) (+ Dropout) per hidden size, then an optional
// output Linear. The usual trunk and tower of a multi-task model.
import type { Tensor } from '../../tensor/tensor.js';
import type { Module } from '../module.js';
import { Sequential } from './container.js';
import { Linear } from './linear.js';
import { activationLayer, ReLU, type ActivationName } from './activation.js';
import { BatchNorm1d } from './norm.js';
import { Dropout } from './dropout.js';
import { checkPositiveInt, checkProbability } from './check.js';
import { linearRelu } from '../../ops/matmul.js';

export interface MLPOptions {
  activation?: ActivationName | (() => Module);
  dropout?: number;
  batchNorm?: boolean;
}

export class MLP extends Sequential {
  readonly outSize: number;

  constructor(inFeatures: number, hiddenSizes: readonly number[], outFeatures: number | null = null, options: MLPOptions = {}) {
    super();
    checkPositiveInt(inFeatures, 'MLP', 'inFeatures');
    if (!Array.isArray(hiddenSizes)) throw new Error('MLP: hiddenSizes must be an array of positive integers');
    const p = checkProbability(options.dropout ?? 0, 'MLP', 'dropout');
    const act = options.activation ?? 'relu';
    let width = inFeatures;
    for (const h of hiddenSizes) {
      checkPositiveInt(h, 'MLP', 'hidden size');
      this.append(new Linear(width, h));
      this.append(typeof act === 'function' ? act() : activationLayer(act));
      if (options.batchNorm) this.append(new BatchNorm1d(h));
      if (p > 0) this.append(new Dropout(p));
      width = h;
    }
    if (outFeatures !== null && outFeatures !== undefined) {
      checkPositiveInt(outFeatures, 'MLP', 'outFeatures');
      this.append(new Linear(width, outFeatures));
      width = outFeatures;
    }
    this.outSize = width;
  }

  /**
   * The layers in order; a Linear followed by a ReLU runs as one product with the bias
   * and the relu in its epilogue (on CPU tensors), which also saves the relu's pass over
   * the output and its gradient.
   */
  override forward(x: Tensor): Tensor {
    const items = this.items;
    let y = x;
    for (let i = 0; i < items.length; i++) {
      const m = items[i];
      if (m instanceof Linear && items[i + 1] instanceof ReLU && y.device === 'cpu' && m.weight.device === 'cpu') {
        y = linearRelu(y, m.weight, m.bias);
        i++;
      } else y = m.forward(y);
    }
    return y;
  }
}
