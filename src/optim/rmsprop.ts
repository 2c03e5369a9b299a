// RMSprop (optionally centered, with momentum) and Adagrad (with lr decay) on the fused
// update kernels of src/ops/optim.ts.
import type { Tensor } from '../tensor/tensor.js';
import { adagradUpdate, rmspropUpdate } from '../ops/optim.js';
import { fillInto } from '../nn/tensor-util.js';
import { checkRange, Optimizer, type ParamGroup, type ParamState, type ResolvedGroup } from './optimizer.js';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  momentum?: number;
  weightDecay?: number;
  /** Normalise by the variance (sq - mean^2) instead of the raw second moment. */
  centered?: boolean;
}

type RMSpropHyper = Required<RMSpropOptions>;

export class RMSprop extends Optimizer<RMSpropHyper> {
  constructor(params: Tensor[] | ParamGroup[], { lr = 1e-2, alpha = 0.99, eps = 1e-8, momentum = 0, weightDecay = 0, centered = false }: RMSpropOptions = {}) {
    super(params, { lr, alpha, eps, momentum, weightDecay, centered });
  }

  protected checkHyper(g: ResolvedGroup<RMSpropHyper>): void {
    checkRange(g.alpha, 0, 1, 'RMSprop', 'alpha');
    checkRange(g.momentum, 0, 1, 'RMSprop', 'momentum');
    if (typeof g.eps !== 'number' || !(g.eps >= 0)) throw new Error(`RMSprop: eps must be >= 0, got ${String(g.eps)}`);
  }

  protected update(p: Tensor, grad: Tensor, g: ResolvedGroup<RMSpropHyper>, st: ParamState): void {
    const sq = this.stateTensor(st, 'squareAvg', p);
    const ga = g.centered ? this.stateTensor(st, 'gradAvg', p) : null;
    const buf = g.momentum > 0 ? this.stateTensor(st, 'momentumBuffer', p) : null;
    rmspropUpdate(p, grad, sq, { lr: g.lr, alpha: g.alpha, eps: g.eps, weightDecay: g.weightDecay, momentum: g.momentum, centered: g.centered }, ga, buf);
  }
}

export interface AdagradOptions {
  lr?: number;
  /** The effective lr is lr / (1 + (step - 1) * lrDecay). */
  lrDecay?: number;
  eps?: number;
  weightDecay?: number;
  /** Starting value of the squared-gradient sum. */
  initialAccumulatorValue?: number;
}

type AdagradHyper = Required<AdagradOptions>;

export class Adagrad extends Optimizer<AdagradHyper> {
  constructor(params: Tensor[] | ParamGroup[], { lr = 1e-2, lrDecay = 0, eps = 1e-10, weightDecay = 0, initialAccumulatorValue = 0 }: AdagradOptions = {}) {
    super(params, { lr, lrDecay, eps, weightDecay, initialAccumulatorValue });
  }

  protected checkHyper(g: ResolvedGroup<AdagradHyper>): void {
    if (typeof g.eps !== 'number' || !(g.eps >= 0)) throw new Error(`Adagrad: eps must be >= 0, got ${String(g.eps)}`);
    if (typeof g.lrDecay !== 'number' || !(g.lrDecay >= 0)) throw new Error(`Adagrad: lrDecay must be >= 0, got ${String(g.lrDecay)}`);
    if (typeof g.initialAccumulatorValue !== 'number' || !(g.initialAccumulatorValue >= 0))
      throw new Error(`Adagrad: initialAccumulatorValue must be >= 0, got ${String(g.initialAccumulatorValue)}`);
  }

  protected update(p: Tensor, grad: Tensor, g: ResolvedGroup<AdagradHyper>, st: ParamState): void {
    const fresh = !st.tensors.sum;
    const acc = this.stateTensor(st, 'sum', p);
    if (fresh && g.initialAccumulatorValue !== 0) fillInto(acc, g.initialAccumulatorValue);
    adagradUpdate(p, grad, acc, { lr: g.lr, lrDecay: g.lrDecay, weightDecay: g.weightDecay, eps: g.eps, step: st.step });
  }
}
