// The base of every multi-task architecture: input encoding, one tower per task, the
// split between shared and task-specific parameters, and gate-usage bookkeeping.
import type { Tensor } from '../tensor/tensor.js';
import { reshape } from '../ops/shape.js';
import { Module, MLP } from './deps.js';
import { InputEncoder } from './encoder.js';
import { Task, defineTasks, type TaskSpec } from './task.js';
import type { FeatureSpec } from './types.js';
import { toDevice } from '../ops/core.js';

/** How a model reads its inputs: FeatureSpecs (an InputEncoder is built), an encoder module, or one dense input. */
export interface InputOptions {
  /** Build an InputEncoder over these features. */
  features?: FeatureSpec[];
  embeddingDim?: number;
  /** While training, replace categorical ids by the out-of-vocabulary id with this probability (see InputEncoder). */
  idDropout?: number;
  /** Or: any module mapping batch inputs to [B, inputDim] (give inputDim). */
  encoder?: Module;
  /** Width of the encoded input; required without `features`. */
  inputDim?: number;
  /** Without features or encoder, the single dense float32 [B, inputDim] input read from batch.inputs (default 'x'). */
  inputKey?: string;
}

export interface ModelOptions extends InputOptions {
  tasks: readonly (TaskSpec | Task)[];
  /** Task towers to use instead of the default MLPs; each maps the task's representation to its output width. */
  towers?: Record<string, Module>;
}

/** Mean gate weight per expert, keyed by gate name (a task name, or "shared@<level>"). */
export type GateUsage = Record<string, number[]>;

/** Holds one module per key (a ModuleDict without the frills). */
export class ModuleMap extends Module {
  private readonly entries = new Map<string, Module>();
  set(key: string, m: Module): Module {
    // Registered names are letters, digits and _; keys (task names) may hold anything.
    let name = key.replace(/[^A-Za-z0-9_]/g, '_') || '_';
    while (this.namedChildren().some(([n]) => n === name)) name += '_';
    this.entries.set(key, this.registerModule(name, m));
    return m;
  }
  get(key: string): Module {
    const m = this.entries.get(key);
    if (!m) throw new Error(`ModuleMap: no module for '${key}' (have: ${[...this.entries.keys()].join(', ')})`);
    return m;
  }
  has(key: string): boolean {
    return this.entries.has(key);
  }
  keys(): string[] {
    return [...this.entries.keys()];
  }
  forward(): never {
    throw new Error('ModuleMap: has no forward; call its entries');
  }
}

export abstract class MultiTaskModel extends Module {
  abstract readonly architecture: string;
  readonly tasks: Task[];
  readonly inputDim: number;
  /** Outputs that are probabilities rather than logits (ESMM's products). */
  readonly probabilityOutputs = new Set<string>();
  protected readonly encoder: Module | null;
  protected readonly inputKey: string;
  protected readonly towers: ModuleMap;
  private readonly gateSums = new Map<string, { sum: Float64Array; rows: number }>();

  constructor(options: ModelOptions) {
    super();
    this.tasks = defineTasks(options.tasks);
    if (!this.tasks.length) throw new Error(`${new.target.name}: no tasks given`);
    this.inputKey = options.inputKey ?? 'x';
    if (options.features) {
      const enc = new InputEncoder(options.features, { embeddingDim: options.embeddingDim, idDropout: options.idDropout });
      this.encoder = this.registerModule('encoder', enc);
      this.inputDim = enc.outputDim;
    } else {
      if (!(Number.isInteger(options.inputDim) && options.inputDim! > 0))
        throw new Error(`${new.target.name}: give features, or inputDim (the width of the ${options.encoder ? 'encoder output' : `dense input '${this.inputKey}'`})`);
      this.encoder = options.encoder ? this.registerModule('encoder', options.encoder) : null;
      this.inputDim = options.inputDim!;
    }
    this.towers = this.registerModule('towers', new ModuleMap());
  }

  /** Builds the towers once the subclass knows the width of each task's representation. */
  protected buildTowers(towerInput: number, given: Record<string, Module> = {}): void {
    for (const name of Object.keys(given))
      if (!this.tasks.some((t) => t.name === name)) throw new Error(`${this.constructor.name}: a tower was given for unknown task '${name}'`);
    for (const t of this.tasks) this.towers.set(t.name, given[t.name] ?? defaultTower(t, towerInput));
  }

  /** The dense [B, inputDim] input of a batch. */
  encode(inputs: Record<string, Tensor> | Tensor): Tensor {
    if ((inputs as Tensor).__isTensor) return inputs as Tensor;
    const rec = inputs as Record<string, Tensor>;
    if (this.encoder) return this.encoder.forward(rec);
    const x = rec[this.inputKey];
    if (!x) throw new Error(`${this.constructor.name}: the batch has no input '${this.inputKey}' (has: ${Object.keys(rec).join(', ')}); pass features or an encoder`);
    if (x.ndim !== 2 || x.shape[1] !== this.inputDim)
      throw new Error(`${this.constructor.name}: input '${this.inputKey}' must be [B, ${this.inputDim}], got [${x.shape}]`);
    return x;
  }

  /** Per-task outputs (logits, or probabilities for names in probabilityOutputs), width-1 outputs as [B]. */
  forward(inputs: Record<string, Tensor> | Tensor): Record<string, Tensor> {
    const raw = this.forwardEncoded(this.encode(inputs));
    const out: Record<string, Tensor> = {};
    for (const [name, v] of Object.entries(raw)) {
      const task = this.tasks.find((t) => t.name === name);
      // Extra outputs (ESMM's pCVR) follow the width-1 convention of the tasks.
      out[name] = task ? task.shapeOutput(v) : v.ndim === 2 && v.shape[1] === 1 ? reshape(v, [v.shape[0]]) : v;
    }
    return out;
  }

  /** The architecture proper: encoded input -> raw output per task. */
  protected abstract forwardEncoded(x: Tensor): Record<string, Tensor>;

  /** Parameters shared by several tasks (where task gradients can conflict). */
  abstract sharedParameters(): Tensor[];

  /** The parameters only this task uses (its tower, plus gates or task experts). */
  taskParameters(task: string): Tensor[] {
    return this.towers.get(task).parameters();
  }

  /** A regulariser added to the loss (soft sharing); null when the architecture has none. */
  penalty(): Tensor | null {
    return null;
  }

  /** Adds a task with a fresh tower (and whatever else it needs) to a trained model. */
  addTask(spec: TaskSpec | Task, tower?: Module): Task {
    const task = spec instanceof Task ? spec : new Task(spec);
    if (this.tasks.some((t) => t.name === task.name)) throw new Error(`${this.constructor.name}.addTask: task '${task.name}' already exists`);
    this.addTaskParts(task, tower);
    this.tasks.push(task);
    return task;
  }

  protected addTaskParts(task: Task, tower?: Module): void {
    void task;
    void tower;
    throw new Error(`${this.constructor.name}: adding a task is not supported by the ${this.architecture} architecture`);
  }

  // ---- gate usage ----------------------------------------------------------------

  /** Records a gate's weights [B, E] (in training mode only; a host copy, cheap for small E). */
  protected recordGate(name: string, gate: Tensor): void {
    if (!this.training) return;
    const w = toDevice(gate, 'cpu');
    const data = w.data() as Float32Array;
    const [B, E] = gate.shape;
    let acc = this.gateSums.get(name);
    if (!acc) this.gateSums.set(name, (acc = { sum: new Float64Array(E), rows: 0 }));
    for (let b = 0; b < B; b++) for (let e = 0; e < E; e++) acc.sum[e] += data[b * E + e];
    acc.rows += B;
    if (w !== gate) w.dispose();
  }

  /** Mean gate weight per gate and expert since the last reset; {} for gate-less models. */
  gateUsage(): GateUsage {
    const out: GateUsage = {};
    for (const [name, { sum, rows }] of this.gateSums) out[name] = Array.from(sum, (s) => (rows ? s / rows : 0));
    return out;
  }

  resetGateUsage(): void {
    this.gateSums.clear();
  }
}

export function defaultTower(task: Task, inputDim: number): Module {
  return new MLP(inputDim, task.spec.towerHidden ?? [16], task.outputWidth);
}

/** An MLP trunk or expert: Linear + ReLU per hidden size; output width = the last hidden size. */
export function mlpBlock(inputDim: number, hidden: readonly number[]): Module {
  if (!hidden.length) throw new Error('mlpBlock: give at least one hidden size');
  return new MLP(inputDim, hidden.slice(), null);
}
