// Shared-bottom (hard parameter sharing): one trunk, one tower per task.
import type { Tensor } from '../tensor/tensor.js';
import type { Module } from './deps.js';
import { MultiTaskModel, defaultTower, mlpBlock, type ModelOptions } from './model.js';
import type { Task } from './task.js';

export interface SharedBottomOptions extends ModelOptions {
  /** The trunk: any module [B, inputDim] -> [B, trunkDim]. Default: an MLP with trunkHidden. */
  trunk?: Module;
  /** Width of the trunk output (required with a custom trunk). */
  trunkDim?: number;
  /** Hidden sizes of the default MLP trunk (default [32]). */
  trunkHidden?: number[];
}

export class SharedBottom extends MultiTaskModel {
  readonly architecture = 'shared-bottom';
  readonly trunk: Module;
  readonly trunkDim: number;

  constructor(options: SharedBottomOptions) {
    super(options);
    if (options.trunk) {
      if (!(Number.isInteger(options.trunkDim) && options.trunkDim! > 0)) throw new Error('SharedBottom: a custom trunk needs trunkDim (its output width)');
      this.trunk = this.registerModule('trunk', options.trunk);
      this.trunkDim = options.trunkDim!;
    } else {
      const hidden = options.trunkHidden ?? [32];
      this.trunk = this.registerModule('trunk', mlpBlock(this.inputDim, hidden));
      this.trunkDim = hidden[hidden.length - 1];
    }
    this.buildTowers(this.trunkDim, options.towers);
  }

  protected forwardEncoded(x: Tensor): Record<string, Tensor> {
    const h = this.trunk.forward(x);
    const out: Record<string, Tensor> = {};
    for (const t of this.tasks) out[t.name] = this.towers.get(t.name).forward(h);
    return out;
  }

  sharedParameters(): Tensor[] {
    return [...(this.encoder?.parameters() ?? []), ...this.trunk.parameters()];
  }

  protected override addTaskParts(task: Task, tower?: Module): void {
    this.towers.set(task.name, tower ?? defaultTower(task, this.trunkDim));
  }
}
