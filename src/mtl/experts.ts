// Mixture-of-experts architectures: MMoE (Ma et al. 2018), CGC and PLE (Tang et al. 2020).
import type { Tensor } from '../tensor/tensor.js';
import { softmax } from '../ops/softmax.js';
import { stack, unsqueeze } from '../ops/shape.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { Module, Linear } from './deps.js';
import { ModuleMap, MultiTaskModel, defaultTower, mlpBlock, type ModelOptions } from './model.js';
import type { Task } from './task.js';

/** Builds one expert: [B, inputDim] -> [B, expertDim]. */
export type ExpertFactory = (inputDim: number, info: { index: number; level: number; owner: string }) => Module;

export interface ExpertOptions {
  /** Custom experts (any module); give expertDim with it. Default: MLPs with expertHidden. */
  expert?: ExpertFactory;
  expertDim?: number;
  /** Hidden sizes of the default MLP expert (default [16]); expertDim = the last one. */
  expertHidden?: number[];
}

function expertSetup(name: string, o: ExpertOptions): { make: ExpertFactory; dim: number } {
  if (o.expert) {
    if (!(Number.isInteger(o.expertDim) && o.expertDim! > 0)) throw new Error(`${name}: custom experts need expertDim (their output width)`);
    return { make: o.expert, dim: o.expertDim! };
  }
  const hidden = o.expertHidden ?? [16];
  return { make: (inDim) => mlpBlock(inDim, hidden), dim: hidden[hidden.length - 1] };
}

/**
 * Gated mixture of expert outputs: experts [B, D] each, gate [B, E] (rows sum to 1) -> [B, D].
 * Exported so it can be gradchecked on its own.
 */
export function mixExperts(expertOutputs: readonly Tensor[], gate: Tensor): Tensor {
  if (gate.ndim !== 2 || gate.shape[1] !== expertOutputs.length)
    throw new Error(`mixExperts: gate [${gate.shape}] does not match ${expertOutputs.length} experts`);
  const stacked = stack(expertOutputs, 1); // [B, E, D]
  return sum(mul(stacked, unsqueeze(gate, 2)), 1);
}

export interface MMoEOptions extends ModelOptions, ExpertOptions {
  /** Number of shared experts (default 4). */
  numExperts?: number;
}

export class MMoE extends MultiTaskModel {
  readonly architecture = 'mmoe';
  readonly experts: ModuleMap;
  readonly gates: ModuleMap;
  readonly numExperts: number;
  readonly expertDim: number;

  constructor(options: MMoEOptions) {
    super(options);
    const E = options.numExperts ?? 4;
    if (!(Number.isInteger(E) && E >= 1)) throw new Error(`MMoE: numExperts must be a positive integer (got ${E})`);
    const { make, dim } = expertSetup('MMoE', options);
    this.numExperts = E;
    this.expertDim = dim;
    this.experts = this.registerModule('experts', new ModuleMap());
    for (let i = 0; i < E; i++) this.experts.set(`e${i}`, make(this.inputDim, { index: i, level: 0, owner: 'shared' }));
    this.gates = this.registerModule('gates', new ModuleMap());
    for (const t of this.tasks) this.gates.set(t.name, new Linear(this.inputDim, E));
    this.buildTowers(dim, options.towers);
  }

  protected forwardEncoded(x: Tensor): Record<string, Tensor> {
    const outs = this.experts.keys().map((k) => this.experts.get(k).forward(x) as Tensor);
    const result: Record<string, Tensor> = {};
    for (const t of this.tasks) {
      const g = softmax(this.gates.get(t.name).forward(x), -1);
      this.recordGate(t.name, g);
      result[t.name] = this.towers.get(t.name).forward(mixExperts(outs, g));
    }
    return result;
  }

  sharedParameters(): Tensor[] {
    return [...(this.encoder?.parameters() ?? []), ...this.experts.parameters()];
  }

  override taskParameters(task: string): Tensor[] {
    return [...this.gates.get(task).parameters(), ...super.taskParameters(task)];
  }

  protected override addTaskParts(task: Task, tower?: Module): void {
    this.gates.set(task.name, new Linear(this.inputDim, this.numExperts));
    this.towers.set(task.name, tower ?? defaultTower(task, this.expertDim));
  }
}

export interface PLEOptions extends ModelOptions, ExpertOptions {
  /** Extraction levels (default 2; CGC is one level). */
  levels?: number;
  /** Shared experts per level (default 2). */
  sharedExperts?: number;
  /** Task-specific experts per task and level (default 1). */
  taskExperts?: number;
}

/** One extraction level: shared and per-task experts, a gate per task, and (except at the top) a shared gate. */
class ExtractionLevel extends Module {
  readonly shared: ModuleMap;
  readonly specific: ModuleMap;
  readonly gates: ModuleMap;

  constructor(
    readonly level: number,
    readonly taskNames: readonly string[],
    inputDim: number,
    make: ExpertFactory,
    ns: number,
    nt: number,
    withSharedGate: boolean,
  ) {
    super();
    this.shared = this.registerModule('shared', new ModuleMap());
    for (let i = 0; i < ns; i++) this.shared.set(`e${i}`, make(inputDim, { index: i, level, owner: 'shared' }));
    this.specific = this.registerModule('specific', new ModuleMap());
    for (const t of taskNames)
      for (let i = 0; i < nt; i++) this.specific.set(`${t}_e${i}`, make(inputDim, { index: i, level, owner: t }));
    this.gates = this.registerModule('gates', new ModuleMap());
    for (const t of taskNames) this.gates.set(t, new Linear(inputDim, ns + nt));
    if (withSharedGate) this.gates.set('__shared', new Linear(inputDim, ns + nt * taskNames.length));
  }

  forward(): never {
    throw new Error('ExtractionLevel: called through PLE');
  }
}

export class PLE extends MultiTaskModel {
  readonly architecture: string = 'ple';
  readonly levels: ExtractionLevel[] = [];
  readonly expertDim: number;
  readonly sharedExperts: number;
  readonly taskExperts: number;

  constructor(options: PLEOptions) {
    super(options);
    const L = options.levels ?? 2;
    const ns = options.sharedExperts ?? 2, nt = options.taskExperts ?? 1;
    if (!(Number.isInteger(L) && L >= 1)) throw new Error(`PLE: levels must be a positive integer (got ${L})`);
    if (!(Number.isInteger(ns) && ns >= 0 && Number.isInteger(nt) && nt >= 0 && ns + nt >= 1))
      throw new Error(`PLE: need sharedExperts >= 0 and taskExperts >= 0 with at least one expert (got ${ns}, ${nt})`);
    const { make, dim } = expertSetup('PLE', options);
    this.expertDim = dim;
    this.sharedExperts = ns;
    this.taskExperts = nt;
    const names = this.tasks.map((t) => t.name);
    for (let l = 0; l < L; l++)
      this.levels.push(this.registerModule(`level${l}`, new ExtractionLevel(l, names, l === 0 ? this.inputDim : dim, make, ns, nt, l < L - 1)));
    this.buildTowers(dim, options.towers);
  }

  protected forwardEncoded(x: Tensor): Record<string, Tensor> {
    const names = this.tasks.map((t) => t.name);
    let taskIn: Record<string, Tensor> = Object.fromEntries(names.map((n) => [n, x]));
    let sharedIn = x;
    for (const level of this.levels) {
      const sharedOut = level.shared.keys().map((k) => level.shared.get(k).forward(sharedIn) as Tensor);
      const specificOut: Record<string, Tensor[]> = {};
      for (const n of names)
        specificOut[n] = Array.from({ length: this.taskExperts }, (_, i) => level.specific.get(`${n}_e${i}`).forward(taskIn[n]) as Tensor);
      const next: Record<string, Tensor> = {};
      for (const n of names) {
        const g = softmax(level.gates.get(n).forward(taskIn[n]), -1);
        this.recordGate(`${n}@L${level.level}`, g);
        next[n] = mixExperts([...specificOut[n], ...sharedOut], g);
      }
      if (level.gates.has('__shared')) {
        const g = softmax(level.gates.get('__shared').forward(sharedIn), -1);
        this.recordGate(`shared@L${level.level}`, g);
        sharedIn = mixExperts([...sharedOut, ...names.flatMap((n) => specificOut[n])], g);
      }
      taskIn = next;
    }
    const out: Record<string, Tensor> = {};
    for (const n of names) out[n] = this.towers.get(n).forward(taskIn[n]);
    return out;
  }

  sharedParameters(): Tensor[] {
    const ps = [...(this.encoder?.parameters() ?? [])];
    for (const level of this.levels) {
      ps.push(...level.shared.parameters());
      if (level.gates.has('__shared')) ps.push(...level.gates.get('__shared').parameters());
    }
    return ps;
  }

  override taskParameters(task: string): Tensor[] {
    const ps: Tensor[] = [];
    for (const level of this.levels) {
      ps.push(...level.gates.get(task).parameters());
      for (let i = 0; i < this.taskExperts; i++) ps.push(...level.specific.get(`${task}_e${i}`).parameters());
    }
    return [...ps, ...super.taskParameters(task)];
  }
}

/** CGC: a single PLE extraction level (shared + task-specific experts, one gate per task). */
export class CGC extends PLE {
  override readonly architecture: string = 'cgc';
  constructor(options: Omit<PLEOptions, 'levels'>) {
    super({ ...options, levels: 1 });
  }
}
