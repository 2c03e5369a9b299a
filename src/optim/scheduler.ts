// Learning-rate schedulers. Each sets group.lr on step() from the group's initialLr;
// ReduceLROnPlateau reacts to a metric instead of the step count.
import type { Optimizer } from './optimizer.js';
import { checkPositiveInt } from '../shared/checks.js';

export abstract class LRScheduler {
  /** Steps taken so far (0 right after construction). */
  lastEpoch = 0;
  protected readonly baseLrs: number[];
  private lastLr: number[];

  constructor(readonly optimizer: Optimizer<{ lr: number; weightDecay: number }>) {
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr);
    this.lastLr = this.baseLrs.slice();
  }

  /** The lr of group i at epoch t. */
  protected abstract lrAt(base: number, t: number): number;

  /** Applies the epoch-0 rate (called by constructors of schedulers that change it). */
  protected init(): void {
    this.apply();
  }

  private apply(): void {
    this.lastLr = this.baseLrs.map((b) => this.lrAt(b, this.lastEpoch));
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lastLr[i]));
  }

  /** Advances one step (call after optimizer.step()). */
  step(_metric?: number): void {
    this.lastEpoch++;
    this.apply();
  }

  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  stateDict(): { lastEpoch: number } {
    return { lastEpoch: this.lastEpoch };
  }

  loadStateDict(sd: { lastEpoch: number }): void {
    if (!sd || !Number.isInteger(sd.lastEpoch)) throw new Error(`${this.constructor.name}.loadStateDict: expected { lastEpoch }`);
    this.lastEpoch = sd.lastEpoch;
    this.apply();
  }
}


function inRange(v: unknown, where: string, what: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !(v > lo && v <= hi)) throw new Error(`${where}: ${what} must be in (${lo}, ${hi}], got ${String(v)}`);
  return v;
}

/** lr = base * gamma^floor(t / stepSize). */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(opt: Optimizer<{ lr: number; weightDecay: number }>, { stepSize, gamma = 0.1 }: { stepSize: number; gamma?: number }) {
    super(opt);
    this.stepSize = checkPositiveInt(stepSize, 'StepLR', 'stepSize');
    this.gamma = inRange(gamma, 'StepLR', 'gamma', 0, Infinity);
    this.init();
  }
  protected lrAt(base: number, t: number): number {
    return base * this.gamma ** Math.floor(t / this.stepSize);
  }
}

/** lr = base * gamma^t. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;
  constructor(opt: Optimizer<{ lr: number; weightDecay: number }>, { gamma }: { gamma: number }) {
    super(opt);
    this.gamma = inRange(gamma, 'ExponentialLR', 'gamma', 0, Infinity);
    this.init();
  }
  protected lrAt(base: number, t: number): number {
    return base * this.gamma ** t;
  }
}

/** Half a cosine from base down to etaMin over tMax steps (then back up, periodically). */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  constructor(opt: Optimizer<{ lr: number; weightDecay: number }>, { tMax, etaMin = 0 }: { tMax: number; etaMin?: number }) {
    super(opt);
    this.tMax = checkPositiveInt(tMax, 'CosineAnnealingLR', 'tMax');
    if (typeof etaMin !== 'number' || !(etaMin >= 0)) throw new Error(`CosineAnnealingLR: etaMin must be >= 0, got ${String(etaMin)}`);
    this.etaMin = etaMin;
    this.init();
  }
  protected lrAt(base: number, t: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
}

/** Ramps linearly from startFactor * base to base over warmupSteps, then holds. */
export class LinearWarmup extends LRScheduler {
  readonly warmupSteps: number;
  readonly startFactor: number;
  constructor(opt: Optimizer<{ lr: number; weightDecay: number }>, { warmupSteps, startFactor = 0.1 }: { warmupSteps: number; startFactor?: number }) {
    super(opt);
    this.warmupSteps = checkPositiveInt(warmupSteps, 'LinearWarmup', 'warmupSteps');
    this.startFactor = inRange(startFactor, 'LinearWarmup', 'startFactor', 0, 1);
    this.init();
  }
  protected lrAt(base: number, t: number): number {
    const f = this.startFactor + ((1 - this.startFactor) * Math.min(t, this.warmupSteps)) / this.warmupSteps;
    return base * f;
  }
}

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  /** Relative improvement needed to count as better (default 1e-4). */
  threshold?: number;
  cooldown?: number;
  minLr?: number;
}

/** Multiplies every group's lr by `factor` after `patience` steps without improvement of the metric. */
export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly cooldown: number;
  readonly minLr: number;
  best: number;
  badSteps = 0;
  cooldownLeft = 0;
  lastEpoch = 0;

  constructor(readonly optimizer: Optimizer<{ lr: number; weightDecay: number }>, options: ReduceLROnPlateauOptions = {}) {
    this.mode = options.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max') throw new Error(`ReduceLROnPlateau: mode must be 'min' or 'max', got ${JSON.stringify(this.mode)}`);
    this.factor = options.factor ?? 0.1;
    if (!(this.factor > 0 && this.factor < 1)) throw new Error(`ReduceLROnPlateau: factor must be in (0, 1), got ${this.factor}`);
    this.patience = options.patience ?? 10;
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new Error(`ReduceLROnPlateau: patience must be an integer >= 0, got ${this.patience}`);
    this.threshold = options.threshold ?? 1e-4;
    this.cooldown = options.cooldown ?? 0;
    this.minLr = options.minLr ?? 0;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  private better(v: number): boolean {
    return this.mode === 'min' ? v < this.best * (1 - Math.sign(this.best) * this.threshold) : v > this.best * (1 + Math.sign(this.best) * this.threshold);
  }

  /** Reports the metric of the latest epoch (validation loss, say). */
  step(metric?: number): void {
    if (typeof metric !== 'number' || !Number.isFinite(metric))
      throw new Error(`ReduceLROnPlateau.step: needs a finite metric, got ${String(metric)}`);
    this.lastEpoch++;
    if (this.better(metric)) {
      this.best = metric;
      this.badSteps = 0;
    } else this.badSteps++;
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.badSteps = 0;
    }
    if (this.badSteps > this.patience) {
      for (const g of this.optimizer.paramGroups) g.lr = Math.max(g.lr * this.factor, this.minLr);
      this.cooldownLeft = this.cooldown;
      this.badSteps = 0;
    }
  }

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): { best: number; badSteps: number; cooldownLeft: number; lastEpoch: number } {
    return { best: this.best, badSteps: this.badSteps, cooldownLeft: this.cooldownLeft, lastEpoch: this.lastEpoch };
  }

  loadStateDict(sd: { best: number; badSteps: number; cooldownLeft: number; lastEpoch: number }): void {
    Object.assign(this, { best: sd.best, badSteps: sd.badSteps, cooldownLeft: sd.cooldownLeft, lastEpoch: sd.lastEpoch });
  }
}
