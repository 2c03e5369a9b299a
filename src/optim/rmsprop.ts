// RMSprop and Adagrad. No fused kernels for these yet, so the update is written with
// elementwise ops (under the optimizer's noGrad + tidy) and copied back into the
// parameter and state in place.
import type { Tensor } from '../tensor/tensor.js';
import { add, div, mul, sqrt, square, sub } from '../ops/elementwise.js';
import { copyInto } from '../nn/tensor-util.js';
import { checkRange, Optimizer, type ParamGroup, type ParamState, type ResolvedGroup } from './optimizer.js';

function withDecay(p: Tensor, grad: Tensor, wd: number): Tensor {
  return wd !== 0 ? add(grad, mul(p, wd)) : grad;
}

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  momentum?: number;
  weightDecay?: number;
}

type RMSpropHyper = Required<RMSpropOptions>;

export class RMSprop extends Optimizer<RMSpropHyper> {
  constructor(params: Tensor[] | ParamGroup[], { lr = 1e-2, alpha = 0.99, eps = 1e-8, momentum = 0, weightDecay = 0 }: RMSpropOptions = {}) {
    super(params, { lr, alpha, eps, momentum, weightDecay });
  }

  protected checkHyper(g: ResolvedGroup<RMSpropHyper>): void {
    checkRange(g.alpha, 0, 1, 'RMSprop', 'alpha');
    checkRange(g.momentum, 0, 1, 'RMSprop', 'momentum');
    if (typeof g.eps !== 'number' || !(g.eps >= 0)) throw new Error(`RMSprop: eps must be >= 0, got ${String(g.eps)}`);
  }

  protected update(p: Tensor, grad: Tensor, g: ResolvedGroup<RMSpropHyper>, st: ParamState): void {
    const gr = withDecay(p, grad, g.weightDecay);
    const sq = this.stateTensor(st, 'squareAvg', p);
    copyInto(sq, add(mul(sq, g.alpha), mul(square(gr), 1 - g.alpha)));
    const step = div(gr, add(sqrt(sq), g.eps));
    if (g.momentum > 0) {
      const buf = this.stateTensor(st, 'momentumBuffer', p);
      copyInto(buf, add(mul(buf, g.momentum), step));
      copyInto(p, sub(p, mul(buf, g.lr)));
    } else copyInto(p, sub(p, mul(step, g.lr)));
  }
}

export interface AdagradOptions {
  lr?: number;
  eps?: number;
  weightDecay?: number;
}

type AdagradHyper = Required<AdagradOptions>;

export class Adagrad extends Optimizer<AdagradHyper> {
  constructor(params: Tensor[] | ParamGroup[], { lr = 1e-2, eps = 1e-10, weightDecay = 0 }: AdagradOptions = {}) {
    super(params, { lr, eps, weightDecay });
  }

  protected checkHyper(g: ResolvedGroup<AdagradHyper>): void {
    if (typeof g.eps !== 'number' || !(g.eps >= 0)) throw new Error(`Adagrad: eps must be >= 0, got ${String(g.eps)}`);
  }

  protected update(p: Tensor, grad: Tensor, g: ResolvedGroup<AdagradHyper>, st: ParamState): void {
    const gr = withDecay(p, grad, g.weightDecay);
    const acc = this.stateTensor(st, 'sum', p);
    copyInto(acc, add(acc, square(gr)));
    copyInto(p, sub(p, mul(div(gr, add(sqrt(acc), g.eps)), g.lr)));
  }
}
