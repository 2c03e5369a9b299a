// Mixture-of-experts architectures: MMoE (Ma et al. 2018), CGC and PLE (Tang et al. 2020).
import type { Tensor } from '../tensor/tensor.js';
import { softmax } from '../ops/softmax.js';
import { concat, reshape, stack, unsqueeze } from '../ops/shape.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { checkFloat, empty, record, sameDevice } from '../ops/core.js';
import { groupedLinear, linearRelu } from '../ops/matmul.js';
import { native } from '../native.js';
import { Module, Linear, MLP, ReLU } from './deps.js';
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
  return mixStacked(stack(expertOutputs, 1), gate); // [B, E, D]
}

/**
 * The gated mix of stacked expert outputs: experts [B, E, D] (or [B, E*D], expert e in
 * columns e*D..), gate [B, E] -> [B, D]. One native pass on the CPU, forward and
 * backward; a broadcast multiply and a sum on a device.
 */
export function mixStacked(experts: Tensor, gate: Tensor): Tensor {
  checkFloat(experts, 'mixExperts', 'experts');
  checkFloat(gate, 'mixExperts', 'gate');
  const device = sameDevice('mixExperts', experts, gate);
  if (gate.ndim !== 2 || experts.ndim < 2 || experts.shape[0] !== gate.shape[0])
    throw new Error(`mixExperts: experts [${experts.shape}] and gate [${gate.shape}] do not match`);
  const [B, E] = gate.shape;
  const D = experts.size / Math.max(1, B * E);
  if (!Number.isInteger(D) || (experts.ndim === 3 && (experts.shape[1] !== E || experts.shape[2] !== D)))
    throw new Error(`mixExperts: experts [${experts.shape}] do not hold ${E} experts per row of gate [${gate.shape}]`);
  if (device !== 'cpu') return sum(mul(reshape(experts, [B, E, D]), unsqueeze(gate, 2)), 1);
  const out = empty([B, D], device, 'float32', false, 'mixExperts');
  native.mix_experts_forward(out.kbuf, experts.kbuf, gate.kbuf, B, E, D);
  return record(
    out,
    'mixExperts',
    [experts, gate],
    (g, grads) => {
      const gx = grads.write(0), gg = grads.write(1);
      if (gx || gg)
        native.mix_experts_backward(gx?.buf.kbuf ?? null, gg?.buf.kbuf ?? null, g.kbuf, experts.kbuf, gate.kbuf, B, E, D, (gx?.overwrite ? 1 : 0) | (gg?.overwrite ? 2 : 0));
    },
    [experts, gate],
  );
}

/**
 * The layers of a bank of identical MLP experts (Linear + ReLU per hidden size, as
 * mlpBlock builds them), layer by layer: each expert's weight and bias. Null when any
 * expert is built differently, so the bank cannot run as grouped products.
 */
function bankLayers(experts: readonly Module[]): { weights: Tensor[]; biases: Tensor[] | null }[] | null {
  const perExpert: Linear[][] = [];
  for (const ex of experts) {
    if (!(ex instanceof MLP)) return null;
    const mods = [...ex];
    if (mods.length === 0 || mods.length % 2) return null;
    const linears: Linear[] = [];
    for (let i = 0; i < mods.length; i += 2) {
      const lin = mods[i];
      if (!(lin instanceof Linear) || !(mods[i + 1] instanceof ReLU)) return null;
      linears.push(lin);
    }
    perExpert.push(linears);
  }
  const first = perExpert[0];
  const layers: { weights: Tensor[]; biases: Tensor[] | null }[] = [];
  for (let l = 0; l < first.length; l++) {
    const ls = perExpert.map((p) => p[l]);
    if (ls.some((x) => !x || x.inFeatures !== first[l].inFeatures || x.outFeatures !== first[l].outFeatures || !x.bias !== !first[l].bias)) return null;
    if (ls.some((x) => x.weight.device !== 'cpu')) return null;
    layers.push({ weights: ls.map((x) => x.weight), biases: first[l].bias ? ls.map((x) => x.bias!) : null });
  }
  return perExpert.every((p) => p.length === first.length) ? layers : null;
}

/**
 * All experts' outputs as one [B, E*D] tensor (expert e in columns e*D..). A bank of
 * default MLP experts runs as grouped products: the first layer, which every expert
 * applies to the same input, as one product with the experts' weights side by side,
 * each later layer as one grouped call, every bias and relu in the gemm epilogue.
 * Other experts run one by one and are stacked.
 */
function runExperts(experts: readonly Module[], x: Tensor): Tensor {
  const layers = x.device === 'cpu' ? bankLayers(experts) : null;
  if (!layers) {
    const outs = experts.map((e) => e.forward(x) as Tensor);
    return stack(outs, 1);
  }
  let h = x;
  layers.forEach(({ weights, biases }, l) => {
    const w = concat(weights, 0), b = biases ? concat(biases, 0) : null;
    h = l === 0 ? linearRelu(h, w, b) : groupedLinear(h, w, b, experts.length, true);
  });
  return h;
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
    const stacked = runExperts(this.experts.keys().map((k) => this.experts.get(k)), x);
    const result: Record<string, Tensor> = {};
    for (const t of this.tasks) {
      const g = softmax(this.gates.get(t.name).forward(x), -1);
      this.recordGate(t.name, g);
      result[t.name] = this.towers.get(t.name).forward(mixStacked(stacked, g));
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
