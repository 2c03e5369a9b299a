// Containers: Sequential chains modules; ModuleList only holds them.
import { Module } from '../module.js';

/** Holds modules under "0", "1", ... so their parameters are found and saved; no forward. */
export class ModuleList<M extends Module = Module> extends Module {
  protected items: M[] = [];

  constructor(modules: readonly M[] = []) {
    super();
    for (const m of modules) this.append(m);
  }

  append(m: M): this {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
    return this;
  }

  get length(): number {
    return this.items.length;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): M {
    const k = i < 0 ? i + this.items.length : i;
    if (!Number.isInteger(k) || k < 0 || k >= this.items.length)
      throw new Error(`${this.typeName}.at: index ${i} is out of range for ${this.items.length} modules`);
    return this.items[k];
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  forward(..._args: unknown[]): any {
    throw new Error('ModuleList has no forward of its own: call its modules');
  }
}

/** Calls its modules in order, each on the previous one's output. */
export class Sequential extends ModuleList<Module> {
  constructor(...modules: Module[]) {
    super(modules);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override forward(x: any): any {
    let y = x;
    for (const m of this.items) y = m.forward(y);
    return y;
  }
}
