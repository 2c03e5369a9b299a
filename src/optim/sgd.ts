// Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay.
import type { Tensor } from '../tensor/tensor.js';
import { sgdUpdate } from '../ops/optim.js';
import { checkRange, Optimizer, type ParamGroup, type ParamState, type ResolvedGroup } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

type SGDHyper = Required<SGDOptions>;

export class SGD extends Optimizer<SGDHyper> {
  constructor(params: Tensor[] | ParamGroup[], { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false }: SGDOptions) {
    super(params, { lr, momentum, dampening, weightDecay, nesterov });
  }

  protected checkHyper(g: ResolvedGroup<SGDHyper>): void {
    checkRange(g.momentum, 0, 1, 'SGD', 'momentum');
    checkRange(g.dampening, 0, 1, 'SGD', 'dampening');
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) throw new Error('SGD: nesterov needs momentum > 0 and dampening 0');
  }

  protected update(p: Tensor, grad: Tensor, g: ResolvedGroup<SGDHyper>, st: ParamState): void {
    const buf = g.momentum > 0 ? this.stateTensor(st, 'momentumBuffer', p) : null;
    // The first step seeds the buffer with the gradient (no dampening), as PyTorch does.
    const first = st.step === 1;
    sgdUpdate(p, grad, buf, { lr: g.lr, momentum: g.momentum, dampening: g.dampening, weightDecay: g.weightDecay, nesterov: g.nesterov }, first);
  }
}
