// Optimizer: parameter groups with their own hyper-parameters, per-parameter state
// (kept out of tidy), and a JSON-safe stateDict for checkpoints.
import { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/creation.js';
import { keep, tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/engine.js';
import { copyInto } from '../nn/tensor-util.js';
import { NonFiniteGradientError } from '../ops/optim.js';
import { fmt } from '../tensor/shape.js';

/** A group of parameters sharing hyper-parameters; unset ones come from the defaults. */
export interface ParamGroup {
  params: Tensor[];
  lr?: number;
  weightDecay?: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [hyper: string]: any;
}

/** A group after defaults are filled in. `initialLr` is what schedulers scale. */
export type ResolvedGroup<H> = H & { params: Tensor[]; lr: number; weightDecay: number; initialLr: number };

/** Per-parameter state: a step count and named tensors (moments, buffers). */
export interface ParamState {
  step: number;
  tensors: Record<string, Tensor>;
}

export interface OptimizerStateDict {
  /** Hyper-parameters of each group, with its params as global indices. */
  groups: Record<string, number | boolean | number[]>[];
  /** State by global parameter index. */
  state: Record<string, { step: number; tensors: Record<string, Float32Array> }>;
}

export abstract class Optimizer<H extends { lr: number; weightDecay: number } = { lr: number; weightDecay: number }> {
  readonly paramGroups: ResolvedGroup<H>[] = [];
  readonly state = new Map<Tensor, ParamState>();
  protected readonly defaults: H;

  constructor(params: Tensor[] | ParamGroup[], defaults: H) {
    this.defaults = defaults;
    if (!Array.isArray(params) || params.length === 0) throw new Error(`${this.constructor.name}: got an empty parameter list`);
    if (params[0] instanceof Tensor) this.addParamGroup({ params: params as Tensor[] });
    else for (const g of params as ParamGroup[]) this.addParamGroup(g);
  }

  /** Checks one hyper-parameter value; subclasses validate theirs. */
  protected abstract checkHyper(group: ResolvedGroup<H>): void;

  /** Updates one parameter in place from its gradient. */
  protected abstract update(p: Tensor, grad: Tensor, group: ResolvedGroup<H>, state: ParamState): void;

  addParamGroup(group: ParamGroup): void {
    const name = this.constructor.name;
    if (!group || !Array.isArray(group.params)) throw new Error(`${name}.addParamGroup: a group needs a params array`);
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const p of group.params) {
      if (!(p instanceof Tensor)) throw new Error(`${name}: every parameter must be a Tensor`);
      if (p.dtype !== 'float32') throw new Error(`${name}: parameter ${p.describe()} must be float32`);
      if (seen.has(p)) throw new Error(`${name}: parameter ${p.describe()} appears in more than one group (or twice)`);
      seen.add(p);
    }
    const resolved = { ...this.defaults, ...group, params: [...group.params] } as ResolvedGroup<H>;
    resolved.initialLr = group.initialLr ?? resolved.lr;
    if (typeof resolved.lr !== 'number' || !(resolved.lr >= 0)) throw new Error(`${name}: lr must be a number >= 0, got ${String(resolved.lr)}`);
    if (typeof resolved.weightDecay !== 'number' || !(resolved.weightDecay >= 0))
      throw new Error(`${name}: weightDecay must be a number >= 0, got ${String(resolved.weightDecay)}`);
    this.checkHyper(resolved);
    this.paramGroups.push(resolved);
  }

  /** Every parameter, in group order (the indices stateDict uses). */
  private allParams(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /**
   * One update of every parameter that has a gradient (the others are skipped), in group
   * order. A NaN or infinite gradient element throws a NonFiniteGradientError naming the
   * parameter and its step; that parameter and its state are left unchanged, as are the
   * parameters after it, while those before it have been updated (finding it before any
   * update would take a separate pass over every gradient).
   */
  step(): void {
    noGrad(() => {
      this.paramGroups.forEach((group, gi) => {
        if (this.stepGroup(group, gi)) return;
        group.params.forEach((p, pi) => {
          const g = p.grad;
          if (!g) return;
          if (g.device !== p.device) throw new Error(`${this.constructor.name}.step: gradient of ${p.describe()} is on ${g.device}, the parameter on ${p.device}`);
          const st = this.countStep(p);
          try {
            // Temporaries of composed updates are freed at once; state tensors are kept.
            tidy(() => this.update(p, g, group, st));
          } catch (e) {
            if (!(e instanceof NonFiniteGradientError)) throw e;
            throw this.nonFinite(p, gi, pi, e);
          }
        });
      });
    });
  }

  /**
   * Updates every parameter of a group that has a gradient in one call, as step() would
   * one by one (same order, same state, same errors); false when this optimizer or these
   * parameters need the parameter-by-parameter path.
   */
  protected stepGroup(group: ResolvedGroup<H>, groupIndex: number): boolean {
    void group;
    void groupIndex;
    return false;
  }

  /** p's state (made on its first step) with this step counted. */
  protected countStep(p: Tensor): ParamState {
    let st = this.state.get(p);
    if (!st) this.state.set(p, (st = { step: 0, tensors: {} }));
    st.step++;
    return st;
  }

  /** Takes back p's counted step, and on a first step the state made for it, as if the step never ran; returns the step taken back. */
  protected undoStep(p: Tensor): number {
    const st = this.state.get(p)!;
    const step = st.step--;
    if (st.step === 0) {
      for (const t of Object.values(st.tensors)) t.dispose();
      this.state.delete(p);
    }
    return step;
  }

  /**
   * After a non-finite gradient stopped p's update (its step already counted): undoes
   * that step and any state made for it, and returns the error naming the parameter.
   */
  protected nonFinite(p: Tensor, gi: number, pi: number, e: NonFiniteGradientError): NonFiniteGradientError {
    const step = this.undoStep(p);
    const where = `parameter ${pi} of group ${gi} ${fmt(p.shape)}`;
    const label = p.name ? `parameter '${p.name}' ${fmt(p.shape)} (${where.slice('parameter '.length)})` : where;
    return new NonFiniteGradientError(
      `${this.constructor.name}.step: the gradient of ${label} at step ${step} has a non-finite value (${e.value} at element ${e.index}); ` +
        'this parameter and its state are unchanged (parameters before it in the groups were updated)',
      e.index,
      e.value,
    );
  }

  /** Drops every gradient (param.grad becomes null and its memory is freed). */
  zeroGrad(): void {
    for (const p of this.allParams()) p.zeroGrad();
  }

  /** A zero-filled state tensor like p, kept out of tidy(). */
  protected stateTensor(st: ParamState, key: string, p: Tensor): Tensor {
    let t = st.tensors[key];
    if (!t) {
      t = keep(zeros(p.shape, { device: p.device }));
      st.tensors[key] = t;
    }
    return t;
  }

  stateDict(): OptimizerStateDict {
    const index = new Map(this.allParams().map((p, i) => [p, i]));
    const groups = this.paramGroups.map((g) => {
      const out: Record<string, number | boolean | number[]> = {};
      for (const [k, v] of Object.entries(g)) {
        if (k === 'params') continue;
        if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
        else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) out[k] = [...v];
      }
      out.params = g.params.map((p) => index.get(p)!);
      return out;
    });
    const state: OptimizerStateDict['state'] = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const tensors: Record<string, Float32Array> = {};
      for (const [k, t] of Object.entries(st.tensors)) tensors[k] = t.data() as Float32Array;
      state[String(i)] = { step: st.step, tensors };
    }
    return { groups, state };
  }

  /** Restores hyper-parameters and state saved by stateDict() for the same parameter layout. */
  loadStateDict(sd: OptimizerStateDict): void {
    const name = `${this.constructor.name}.loadStateDict`;
    if (!sd || !Array.isArray(sd.groups) || typeof sd.state !== 'object') throw new Error(`${name}: expected the object from stateDict()`);
    if (sd.groups.length !== this.paramGroups.length)
      throw new Error(`${name}: the checkpoint has ${sd.groups.length} param groups, this optimizer ${this.paramGroups.length}`);
    const params = this.allParams();
    sd.groups.forEach((g, k) => {
      const ids = g.params as number[];
      if (!Array.isArray(ids) || ids.length !== this.paramGroups[k].params.length)
        throw new Error(`${name}: group ${k} has ${Array.isArray(ids) ? ids.length : 'no'} params in the checkpoint, ${this.paramGroups[k].params.length} here`);
    });
    // Validate every state entry before changing anything.
    for (const [key, st] of Object.entries(sd.state)) {
      const p = params[Number(key)];
      if (!p) throw new Error(`${name}: state for parameter ${key}, but there are only ${params.length} parameters`);
      for (const [k, v] of Object.entries(st.tensors))
        if (!(v instanceof Float32Array) || v.length !== p.size)
          throw new Error(`${name}: state '${k}' of parameter ${key} ${p.describe()} has ${v?.length ?? 'no'} values, expected ${p.size}`);
    }
    sd.groups.forEach((g, k) => {
      const group = this.paramGroups[k] as Record<string, unknown>;
      for (const [hk, hv] of Object.entries(g)) if (hk !== 'params') group[hk] = Array.isArray(hv) ? [...hv] : hv;
    });
    for (const st of this.state.values()) for (const t of Object.values(st.tensors)) t.dispose();
    this.state.clear();
    for (const [key, st] of Object.entries(sd.state)) {
      const p = params[Number(key)];
      const tensors: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(st.tensors)) {
        const t = keep(zeros(p.shape, { device: p.device }));
        copyInto(t, v, name);
        tensors[k] = t;
      }
      this.state.set(p, { step: st.step, tensors });
    }
  }
}

export function checkRange(v: unknown, lo: number, hi: number, opt: string, what: string, hiOpen = false): void {
  if (typeof v !== 'number' || !(v >= lo) || (hiOpen ? !(v < hi) : !(v <= hi)))
    throw new Error(`${opt}: ${what} must be in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${String(v)}`);
}
