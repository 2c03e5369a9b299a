// Parameter-free layers: activations, Softmax, Flatten, Identity.
import type { Tensor } from '../../tensor/tensor.js';
import { gelu, leakyRelu, relu, sigmoid, tanh } from '../../ops/elementwise.js';
import { softmax } from '../../ops/softmax.js';
import { flatten } from '../../ops/shape.js';
import { Module } from '../module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope))
      throw new Error(`LeakyReLU: negativeSlope must be a finite number, got ${String(negativeSlope)}`);
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `slope=${this.negativeSlope}`;
  }
}

/** GELU (tanh approximation). */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Softmax extends Module {
  constructor(readonly axis = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.axis);
  }
  override extraRepr(): string {
    return `axis=${this.axis}`;
  }
}

/** Merges dims startDim..endDim (default: everything after the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}${this.endDim !== -1 ? `, endDim=${this.endDim}` : ''}`;
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export type ActivationName = 'relu' | 'leakyRelu' | 'gelu' | 'sigmoid' | 'tanh' | 'identity';

const ACTIVATIONS: Record<ActivationName, () => Module> = {
  relu: () => new ReLU(),
  leakyRelu: () => new LeakyReLU(),
  gelu: () => new GELU(),
  sigmoid: () => new Sigmoid(),
  tanh: () => new Tanh(),
  identity: () => new Identity(),
};

/** The activation layer for a name (used by MLP and the multi-task builders). */
export function activationLayer(name: ActivationName | Module): Module {
  if (name instanceof Module) return name;
  const make = Object.hasOwn(ACTIVATIONS, name) ? ACTIVATIONS[name] : undefined;
  if (!make) throw new Error(`activation: unknown name ${JSON.stringify(name)} (expected ${Object.keys(ACTIVATIONS).join(', ')})`);
  return make();
}
