// Module: the base of every layer and model. It owns named parameters (trained),
// buffers (saved, not trained) and child modules, and walks them recursively for
// parameters(), stateDict(), train()/eval(), freeze(), to() and toString().
import { Tensor } from '../tensor/tensor.js';
import type { Device } from '../tensor/dtype.js';
import { checkDevice } from '../tensor/dtype.js';
import { keep } from '../tensor/scope.js';
import { fmt, shapesEqual } from '../tensor/shape.js';
import { toDevice } from '../ops/core.js';
import { noGrad } from '../autograd/engine.js';
import { copyInto } from './tensor-util.js';

const NAME_RE = /^[A-Za-z0-9_]+$/;

export interface LoadStateDictOptions {
  /** When true (default), missing and unexpected keys are errors; shapes must always match. */
  strict?: boolean;
}

/** Values accepted by loadStateDict: tensors, or flat typed arrays of the right size. */
export type StateValue = Tensor | Float32Array | Int32Array;

export abstract class Module {
  /** True after construction; eval() clears it (dropout off, batch norm uses running stats). */
  training = true;
  private readonly _parameters = new Map<string, Tensor>();
  private readonly _buffers = new Map<string, Tensor>();
  private readonly _modules = new Map<string, Module>();

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  abstract forward(...args: any[]): any;

  /** The class name shown by toString(). */
  get typeName(): string {
    return this.constructor.name;
  }

  /** Layer settings shown by toString(), e.g. "in=4, out=8". */
  extraRepr(): string {
    return '';
  }

  // ---- registration ------------------------------------------------------------

  private checkName(kind: string, name: string): void {
    if (typeof name !== 'string' || !NAME_RE.test(name))
      throw new Error(`${this.typeName}.register${kind}: name ${JSON.stringify(name)} must be letters, digits or _ (no dots)`);
    if (this._parameters.has(name) || this._buffers.has(name) || this._modules.has(name))
      throw new Error(`${this.typeName}.register${kind}: '${name}' is already registered`);
  }

  /** Registers a trainable tensor: sets requiresGrad, names it and keeps it out of tidy(). */
  registerParameter(name: string, t: Tensor): Tensor {
    this.checkName('Parameter', name);
    if (!(t instanceof Tensor)) throw new Error(`${this.typeName}.registerParameter: '${name}' must be a Tensor`);
    if (t.dtype !== 'float32') throw new Error(`${this.typeName}.registerParameter: '${name}' must be float32, got ${t.dtype}`);
    if (!t.isLeaf) throw new Error(`${this.typeName}.registerParameter: '${name}' must be a leaf tensor (use .detach())`);
    t.requiresGrad_(true);
    if (!t.name) t.name = name;
    keep(t);
    this._parameters.set(name, t);
    return t;
  }

  /** Registers state that is saved and moved with the module but not trained. */
  registerBuffer(name: string, t: Tensor): Tensor {
    this.checkName('Buffer', name);
    if (!(t instanceof Tensor)) throw new Error(`${this.typeName}.registerBuffer: '${name}' must be a Tensor`);
    if (!t.name) t.name = name;
    keep(t);
    this._buffers.set(name, t);
    return t;
  }

  registerModule<M extends Module>(name: string, m: M): M {
    this.checkName('Module', name);
    if (!(m instanceof Module)) throw new Error(`${this.typeName}.registerModule: '${name}' must be a Module`);
    if ((m as Module) === this || m.modules().includes(this)) throw new Error(`${this.typeName}.registerModule: '${name}' would make a cycle`);
    this._modules.set(name, m);
    // Prefix the child's tensor labels so error messages name "trunk.0.weight".
    for (const [n, p] of m.namedTensors(true)) if (p.name === n) p.name = `${name}.${n}`;
    return m;
  }

  // ---- traversal -----------------------------------------------------------------

  namedChildren(): [string, Module][] {
    return [...this._modules];
  }

  children(): Module[] {
    return [...this._modules.values()];
  }

  /** This module and every descendant, depth first, each once. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const walk = (m: Module, p: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([p, m]);
      for (const [n, c] of m._modules) walk(c, p ? `${p}.${n}` : n);
    };
    walk(this, prefix);
    return out;
  }

  /** Parameters (and buffers) with dotted names, each tensor once (shared ones under their first name). */
  private namedTensors(withBuffers: boolean, paramsOnly = false): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [p, m] of this.namedModules()) {
      const maps = paramsOnly ? [m._parameters] : withBuffers ? [m._parameters, m._buffers] : [m._parameters];
      for (const map of maps)
        for (const [n, t] of map) {
          if (seen.has(t)) continue;
          seen.add(t);
          out.push([p ? `${p}.${n}` : n, t]);
        }
    }
    return out;
  }

  /**
   * Parameters with dotted names ("trunk.0.weight"). Frozen ones are left out unless
   * includeFrozen is set, matching parameters().
   */
  namedParameters(options: { includeFrozen?: boolean } = {}): [string, Tensor][] {
    const all = this.namedTensors(false, true);
    return options.includeFrozen ? all : all.filter(([, t]) => t.requiresGrad);
  }

  /** The trainable (not frozen) parameters, recursively, each once. */
  parameters(options: { includeFrozen?: boolean } = {}): Tensor[] {
    return this.namedParameters(options).map(([, t]) => t);
  }

  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [p, m] of this.namedModules())
      for (const [n, t] of m._buffers) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([p ? `${p}.${n}` : n, t]);
      }
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  /** Number of parameter elements (frozen included unless trainableOnly). */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    return this.parameters({ includeFrozen: !options.trainableOnly }).reduce((s, t) => s + t.size, 0);
  }

  // ---- modes ---------------------------------------------------------------------

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Stops training every parameter below this module (requiresGrad false, grads dropped). */
  freeze(): this {
    for (const [, t] of this.namedTensors(false, true)) {
      t.requiresGrad = false;
      t.zeroGrad();
    }
    return this;
  }

  unfreeze(): this {
    for (const [, t] of this.namedTensors(false, true)) t.requiresGrad = true;
    return this;
  }

  /** Drops every parameter's gradient. */
  zeroGrad(): void {
    for (const [, t] of this.namedTensors(false, true)) t.zeroGrad();
  }

  /** Calls fn on this module and every descendant (e.g. custom initialisation). */
  apply(fn: (m: Module) => void): this {
    for (const m of this.modules()) fn(m);
    return this;
  }

  // ---- state ---------------------------------------------------------------------

  /** Parameters and buffers by dotted name (the live tensors, not copies). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [n, t] of this.namedTensors(true)) out[n] = t;
    return out;
  }

  /**
   * Copies values into the existing parameters and buffers (optimizers keep working).
   * Every problem is reported at once: missing keys, unexpected keys, wrong shapes and
   * wrong dtypes.
   */
  loadStateDict(sd: Record<string, StateValue>, options: LoadStateDictOptions = {}): void {
    const strict = options.strict ?? true;
    if (sd === null || typeof sd !== 'object') throw new Error('loadStateDict: expected an object of tensors by name');
    const own = this.stateDict();
    const missing = Object.keys(own).filter((k) => !(k in sd));
    const unexpected = Object.keys(sd).filter((k) => !(k in own));
    const wrong: string[] = [];
    const wrongDtype: string[] = [];
    for (const [k, dst] of Object.entries(own)) {
      if (!(k in sd)) continue;
      const v = sd[k];
      if (v instanceof Tensor) {
        if (!shapesEqual(v.shape, dst.shape)) wrong.push(`'${k}': checkpoint ${fmt(v.shape)}, model ${fmt(dst.shape)}`);
        if (v.dtype !== dst.dtype) wrongDtype.push(`'${k}': expected ${dst.dtype}, got ${v.dtype}`);
      } else if (v instanceof Float32Array || v instanceof Int32Array) {
        if (v.length !== dst.size) wrong.push(`'${k}': checkpoint has ${v.length} values, model ${fmt(dst.shape)} needs ${dst.size}`);
        // A typed array of the other kind would be converted value by value, silently.
        const dtype = v instanceof Float32Array ? 'float32' : 'int32';
        if (dtype !== dst.dtype) wrongDtype.push(`'${k}': expected ${dst.dtype}, got ${dtype} (${v.constructor.name})`);
      } else wrong.push(`'${k}': expected a Tensor or typed array, got ${v === null ? 'null' : typeof v}`);
    }
    const problems: string[] = [];
    if (strict && missing.length) problems.push(`missing keys: ${missing.map((k) => `'${k}'`).join(', ')}`);
    if (strict && unexpected.length) problems.push(`unexpected keys: ${unexpected.map((k) => `'${k}'`).join(', ')}`);
    if (wrong.length) problems.push(`wrong shape: ${wrong.join('; ')}`);
    if (wrongDtype.length) problems.push(`wrong dtype: ${wrongDtype.join('; ')}`);
    if (problems.length) throw new Error(`loadStateDict(${this.typeName}): ${problems.join('; ')}`);
    for (const [k, dst] of Object.entries(own)) if (k in sd) copyInto(dst, sd[k], `loadStateDict '${k}'`);
  }

  /**
   * Replaces the tensor registered under a (dotted) parameter or buffer name, updating
   * the owning module's field that pointed at the old one. Returns the old tensor.
   */
  setTensor(name: string, t: Tensor): Tensor {
    const dot = name.lastIndexOf('.');
    const owner = dot < 0 ? this : this.getSubmodule(name.slice(0, dot));
    const local = dot < 0 ? name : name.slice(dot + 1);
    const map = owner._parameters.has(local) ? owner._parameters : owner._buffers.has(local) ? owner._buffers : null;
    if (!map) throw new Error(`setTensor: ${owner.typeName} has no parameter or buffer '${local}'`);
    const old = map.get(local)!;
    map.set(local, keep(t));
    const fields = owner as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) if (fields[key] === old) fields[key] = t;
    return old;
  }

  getSubmodule(path: string): Module {
    let m: Module = this;
    if (path === '') return m;
    for (const part of path.split('.')) {
      const c = m._modules.get(part);
      if (!c) throw new Error(`getSubmodule: ${m.typeName} has no child '${part}' (in '${path}')`);
      m = c;
    }
    return m;
  }

  /** Moves every parameter and buffer to `device` (the module is changed and returned). */
  to(device: Device): this {
    checkDevice(device, 'Module.to');
    const moved = new Map<Tensor, Tensor>();
    noGrad(() => {
      for (const m of this.modules())
        for (const map of [m._parameters, m._buffers])
          for (const [n, t] of map) {
            if (t.device === device) continue;
            let nt = moved.get(t);
            if (!nt) {
              nt = toDevice(t, device);
              nt.name = t.name;
              if (t.requiresGrad) nt.requiresGrad = true;
              moved.set(t, nt);
            }
            map.set(n, keep(nt));
            const fields = m as unknown as Record<string, unknown>;
            for (const key of Object.keys(fields)) if (fields[key] === t) fields[key] = nt;
          }
    });
    for (const old of moved.keys()) old.dispose();
    return this;
  }

  // ---- printing ------------------------------------------------------------------

  /** A tree of the modules with their settings and parameter counts. */
  toString(): string {
    const lines: string[] = [];
    const walk = (m: Module, label: string, indent: string): void => {
      const own = [...m._parameters.values()].reduce((s, t) => s + t.size, 0);
      const extra = m.extraRepr();
      const head = `${indent}${label}${m.typeName}(${extra})`;
      if (m._modules.size === 0) {
        lines.push(own ? `${head}  ${formatCount(own)} params` : head);
        return;
      }
      lines.push(`${head} {`);
      if (own) lines.push(`${indent}  own parameters: ${formatCount(own)}`);
      for (const [n, c] of m._modules) walk(c, `(${n}): `, `${indent}  `);
      lines.push(`${indent}}`);
    };
    walk(this, '', '');
    const total = this.numParameters();
    const trainable = this.numParameters({ trainableOnly: true });
    lines.push(`Parameters: ${formatCount(total)}${trainable !== total ? ` (${formatCount(trainable)} trainable)` : ''}`);
    return lines.join('\n');
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
