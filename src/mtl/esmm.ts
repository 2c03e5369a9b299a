// ESMM (Ma et al., SIGIR 2018): pCTCVR = pCTR x pCVR. Both losses (CTR on clicks, CTCVR on
// click-and-convert) are taken over all impressions, so the CVR tower is trained over the
// whole space and never sees the sample-selection bias of training on clicked rows only.
import type { Tensor } from '../tensor/tensor.js';
import { mul, sigmoid } from '../ops/elementwise.js';
import type { Module } from './deps.js';
import { MultiTaskModel, mlpBlock, type ModelOptions } from './model.js';

/** pCTCVR = sigmoid(ctrLogit) * sigmoid(cvrLogit); exported so it can be gradchecked on its own. */
export function esmmProduct(ctrLogit: Tensor, cvrLogit: Tensor): Tensor {
  return mul(sigmoid(ctrLogit), sigmoid(cvrLogit));
}

export interface ESMMOptions extends ModelOptions {
  /** Name of the CTR task (binary, label = click). Default 'ctr'. */
  ctrTask?: string;
  /** Name of the CTCVR task (binary, label = click AND conversion). Default 'ctcvr'. Its tower is the CVR tower. */
  ctcvrTask?: string;
  /** Name of the extra pCVR output (not trained directly). Default 'cvr'. */
  cvrOutput?: string;
  /** Optional shared MLP between the (shared) input encoding and the two towers. */
  trunkHidden?: number[];
}

export class ESMM extends MultiTaskModel {
  readonly architecture = 'esmm';
  readonly ctrTask: string;
  readonly ctcvrTask: string;
  readonly cvrOutput: string;
  private readonly trunk: Module | null;

  constructor(options: ESMMOptions) {
    super(options);
    this.ctrTask = options.ctrTask ?? 'ctr';
    this.ctcvrTask = options.ctcvrTask ?? 'ctcvr';
    this.cvrOutput = options.cvrOutput ?? 'cvr';
    for (const n of [this.ctrTask, this.ctcvrTask]) {
      const t = this.tasks.find((x) => x.name === n);
      if (!t) throw new Error(`ESMM: no task named '${n}' (tasks: ${this.tasks.map((x) => x.name).join(', ')})`);
      if (t.type !== 'binary') throw new Error(`ESMM: task '${n}' must be binary, got ${t.type}`);
    }
    if (this.tasks.length !== 2) throw new Error(`ESMM: takes exactly the CTR and CTCVR tasks (got ${this.tasks.length} tasks)`);
    const hidden = options.trunkHidden;
    this.trunk = hidden?.length ? this.registerModule('trunk', mlpBlock(this.inputDim, hidden)) : null;
    this.buildTowers(hidden?.length ? hidden[hidden.length - 1] : this.inputDim, options.towers);
    this.probabilityOutputs.add(this.ctcvrTask);
    this.probabilityOutputs.add(this.cvrOutput);
  }

  protected forwardEncoded(x: Tensor): Record<string, Tensor> {
    const h = this.trunk ? this.trunk.forward(x) : x;
    const ctr = this.towers.get(this.ctrTask).forward(h);
    const cvrLogit = this.towers.get(this.ctcvrTask).forward(h);
    return { [this.ctrTask]: ctr, [this.ctcvrTask]: esmmProduct(ctr, cvrLogit), [this.cvrOutput]: sigmoid(cvrLogit) };
  }

  sharedParameters(): Tensor[] {
    return [...(this.encoder?.parameters() ?? []), ...(this.trunk?.parameters() ?? [])];
  }
}
