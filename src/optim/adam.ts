// Adam (L2 weight decay added to the gradient) and AdamW (decoupled weight decay),
// both with bias correction, on the fused update kernel.
import type { Tensor } from '../tensor/tensor.js';
import { adamUpdate, adamUpdateMulti, NonFiniteGradientError, type AdamTensorState } from '../ops/optim.js';
import { checkRange, Optimizer, type ParamGroup, type ParamState, type ResolvedGroup } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

type AdamHyper = { lr: number; betas: [number, number]; eps: number; weightDecay: number; amsgrad: boolean };

export class Adam extends Optimizer<AdamHyper> {
  protected readonly decoupled: boolean = false;

  constructor(params: Tensor[] | ParamGroup[], { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0, amsgrad = false }: AdamOptions = {}) {
    super(params, { lr, betas, eps, weightDecay, amsgrad });
  }

  protected checkHyper(g: ResolvedGroup<AdamHyper>): void {
    const name = this.constructor.name;
    if (!Array.isArray(g.betas) || g.betas.length !== 2) throw new Error(`${name}: betas must be a pair [beta1, beta2]`);
    checkRange(g.betas[0], 0, 1, name, 'beta1', true);
    checkRange(g.betas[1], 0, 1, name, 'beta2', true);
    if (typeof g.eps !== 'number' || !(g.eps >= 0)) throw new Error(`${name}: eps must be >= 0, got ${String(g.eps)}`);
  }

  /**
   * A group of CPU parameters updates in one native call (adamUpdateMulti): one thread
   * dispatch for all of them, and the checks once per group instead of per parameter.
   */
  protected override stepGroup(g: ResolvedGroup<AdamHyper>, gi: number): boolean {
    const ps: Tensor[] = [], idx: number[] = [];
    g.params.forEach((p, pi) => {
      if (p.grad) {
        ps.push(p);
        idx.push(pi);
      }
    });
    if (!ps.length || ps.some((p) => p.device !== 'cpu' || p.grad!.device !== 'cpu')) return false;
    const ts: AdamTensorState[] = ps.map((p) => {
      const st = this.countStep(p);
      const m = this.stateTensor(st, 'expAvg', p);
      const v = this.stateTensor(st, 'expAvgSq', p);
      const vMax = g.amsgrad ? this.stateTensor(st, 'maxExpAvgSq', p) : null;
      return { param: p, grad: p.grad!, m, v, vMax, step: st.step };
    });
    try {
      adamUpdateMulti(ts, { lr: g.lr, beta1: g.betas[0], beta2: g.betas[1], eps: g.eps, weightDecay: g.weightDecay, decoupled: this.decoupled, amsgrad: g.amsgrad });
    } catch (e) {
      if (!(e instanceof NonFiniteGradientError) || e.tensor === undefined) {
        for (const p of ps) this.undoStep(p);
        throw e;
      }
      // The parameters after the one named were not updated: their steps are undone too.
      for (let k = ps.length - 1; k > e.tensor; k--) this.undoStep(ps[k]);
      throw this.nonFinite(ps[e.tensor], gi, idx[e.tensor], e);
    }
    return true;
  }

  protected update(p: Tensor, grad: Tensor, g: ResolvedGroup<AdamHyper>, st: ParamState): void {
    const m = this.stateTensor(st, 'expAvg', p);
    const v = this.stateTensor(st, 'expAvgSq', p);
    const vMax = g.amsgrad ? this.stateTensor(st, 'maxExpAvgSq', p) : null;
    adamUpdate(
      p,
      grad,
      m,
      v,
      { lr: g.lr, beta1: g.betas[0], beta2: g.betas[1], eps: g.eps, weightDecay: g.weightDecay, decoupled: this.decoupled, step: st.step, amsgrad: g.amsgrad },
      vMax,
    );
  }
}

/** Adam with decoupled weight decay (p -= lr * wd * p, separate from the gradient). */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Tensor[] | ParamGroup[], { weightDecay = 1e-2, ...rest }: AdamOptions = {}) {
    super(params, { weightDecay, ...rest });
  }
}
