// Soft parameter sharing: each task keeps its own column of layers; cross-stitch units
// (Misra et al. 2016) mix the columns after every layer, or an L2 penalty pulls the
// task-specific copies of a layer toward their mean (Duong et al. 2015).
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/creation.js';
import { matmul } from '../ops/matmul.js';
import { narrow, reshape, stack } from '../ops/shape.js';
import { mul, relu, sub, add } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';
import { Module, Linear } from './deps.js';
import { ModuleMap, MultiTaskModel, mlpBlock, type ModelOptions } from './model.js';

/**
 * A cross-stitch unit: T activations [B, H] -> T activations, out_t = sum_s alpha[t, s] h_s.
 * alpha [T, T] starts near the identity (keep `selfWeight` of its own column).
 */
export class CrossStitchUnit extends Module {
  readonly alpha: Tensor;
  constructor(readonly numTasks: number, selfWeight = 0.9) {
    super();
    const T = numTasks;
    const a = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) a[i * T + j] = T === 1 ? 1 : i === j ? selfWeight : (1 - selfWeight) / (T - 1);
    this.alpha = this.registerParameter('alpha', tensor(a, [T, T]));
  }

  forward(hs: Tensor[]): Tensor[] {
    if (hs.length !== this.numTasks) throw new Error(`CrossStitchUnit: expected ${this.numTasks} activations, got ${hs.length}`);
    const [B, H] = hs[0].shape;
    const mixed = matmul(this.alpha, reshape(stack(hs, 0), [this.numTasks, B * H]));
    return hs.map((_, t) => reshape(narrow(mixed, 0, t, 1), [B, H]));
  }
}

export interface CrossStitchOptions extends ModelOptions {
  /** Hidden sizes of each task's column (default [32]); a cross-stitch unit follows every layer. */
  hidden?: number[];
  selfWeight?: number;
}

export class CrossStitch extends MultiTaskModel {
  readonly architecture = 'cross-stitch';
  private readonly columns: ModuleMap;
  private readonly units: CrossStitchUnit[] = [];
  private readonly depth: number;

  constructor(options: CrossStitchOptions) {
    super(options);
    const hidden = options.hidden ?? [32];
    this.depth = hidden.length;
    this.columns = this.registerModule('columns', new ModuleMap());
    for (const t of this.tasks)
      hidden.forEach((h, l) => this.columns.set(`${t.name}_${l}`, new Linear(l === 0 ? this.inputDim : hidden[l - 1], h)));
    hidden.forEach((_, l) => this.units.push(this.registerModule(`stitch${l}`, new CrossStitchUnit(this.tasks.length, options.selfWeight))));
    this.buildTowers(hidden[hidden.length - 1], options.towers);
  }

  protected forwardEncoded(x: Tensor): Record<string, Tensor> {
    let hs = this.tasks.map(() => x);
    for (let l = 0; l < this.depth; l++) {
      hs = hs.map((h, t) => relu(this.columns.get(`${this.tasks[t].name}_${l}`).forward(h)));
      hs = this.units[l].forward(hs);
    }
    return Object.fromEntries(this.tasks.map((t, i) => [t.name, this.towers.get(t.name).forward(hs[i])]));
  }

  /** The cross-stitch weights (and the encoder): what every task's gradient passes through. */
  sharedParameters(): Tensor[] {
    return [...(this.encoder?.parameters() ?? []), ...this.units.map((u) => u.alpha)];
  }

  override taskParameters(task: string): Tensor[] {
    const ps: Tensor[] = [];
    for (let l = 0; l < this.depth; l++) ps.push(...this.columns.get(`${task}_${l}`).parameters());
    return [...ps, ...super.taskParameters(task)];
  }

  /** The mixing matrices, alpha[t][s] per layer (how much task t reads from task s). */
  stitchWeights(): number[][][] {
    const T = this.tasks.length;
    return this.units.map((u) => {
      const a = u.alpha.data();
      return Array.from({ length: T }, (_, i) => Array.from(a.subarray(i * T, i * T + T)));
    });
  }
}

export interface SoftSharingOptions extends ModelOptions {
  /** Builds one task's copy of the trunk ([B, inputDim] -> [B, trunkDim]); every copy must have the same parameter shapes. */
  trunk?: () => Module;
  trunkDim?: number;
  /** Hidden sizes of the default MLP trunk (default [32]). */
  trunkHidden?: number[];
  /** Strength of the L2 penalty sum_t ||theta_t - mean(theta)||^2 (default 1e-2). */
  lambda?: number;
}

export class SoftSharing extends MultiTaskModel {
  readonly architecture = 'soft-sharing';
  readonly lambda: number;
  private readonly trunks: ModuleMap;

  constructor(options: SoftSharingOptions) {
    super(options);
    this.lambda = options.lambda ?? 1e-2;
    if (!(this.lambda >= 0)) throw new Error(`SoftSharing: lambda must be >= 0 (got ${options.lambda})`);
    let make: () => Module, dim: number;
    if (options.trunk) {
      if (!(Number.isInteger(options.trunkDim) && options.trunkDim! > 0)) throw new Error('SoftSharing: a custom trunk needs trunkDim');
      make = options.trunk;
      dim = options.trunkDim!;
    } else {
      const hidden = options.trunkHidden ?? [32];
      make = () => mlpBlock(this.inputDim, hidden);
      dim = hidden[hidden.length - 1];
    }
    this.trunks = this.registerModule('trunks', new ModuleMap());
    for (const t of this.tasks) this.trunks.set(t.name, make());
    const shapes = (m: Module): string => m.parameters().map((p) => p.shape.join('x')).join();
    const first = shapes(this.trunks.get(this.tasks[0].name));
    for (const t of this.tasks)
      if (shapes(this.trunks.get(t.name)) !== first) throw new Error(`SoftSharing: task '${t.name}' trunk parameters differ in shape from the first task's`);
    this.buildTowers(dim, options.towers);
  }

  protected forwardEncoded(x: Tensor): Record<string, Tensor> {
    return Object.fromEntries(this.tasks.map((t) => [t.name, this.towers.get(t.name).forward(this.trunks.get(t.name).forward(x))]));
  }

  /** Only the encoder is shared outright; the trunks are tied softly through penalty(). */
  sharedParameters(): Tensor[] {
    return this.encoder?.parameters() ?? [];
  }

  override taskParameters(task: string): Tensor[] {
    return [...this.trunks.get(task).parameters(), ...super.taskParameters(task)];
  }

  /** lambda * sum over layers and tasks of ||theta_t - mean_s theta_s||^2. */
  override penalty(): Tensor | null {
    if (this.lambda === 0 || this.tasks.length < 2) return null;
    const perTask = this.tasks.map((t) => this.trunks.get(t.name).parameters());
    let total: Tensor | null = null;
    for (let i = 0; i < perTask[0].length; i++) {
      const copies = stack(perTask.map((ps) => ps[i]), 0);
      const d = sub(copies, mean(copies, 0, true));
      const s = sum(mul(d, d));
      total = total ? add(total, s) : s;
    }
    return total ? mul(total, this.lambda) : null;
  }

  /** Mean squared distance of the task copies from their mean, per parameter tensor (how close the soft sharing holds them). */
  copyDistance(): number {
    const perTask = this.tasks.map((t) => this.trunks.get(t.name).parameters().map((p) => p.data() as Float32Array));
    let s = 0, n = 0;
    for (let i = 0; i < perTask[0].length; i++)
      for (let k = 0; k < perTask[0][i].length; k++) {
        let m = 0;
        for (const ps of perTask) m += ps[i][k];
        m /= perTask.length;
        for (const ps of perTask) s += (ps[i][k] - m) ** 2;
        n++;
      }
    return n ? s / n : 0;
  }
}
