// Epoch bookkeeping: the step records of one epoch summed up into its EpochRecord (mean
// loss and weight per task over the steps where it was active, mean total and penalty,
// samples and throughput).
import type { GradientCosine } from './diagnostics.js';
import type { EpochRecord, StepRecord } from './history.js';
import type { GateUsage } from './model.js';

/** The mean of `xs`; NaN when there are none. */
export const average = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

function append(lists: Map<string, number[]>, key: string, value: number): void {
  (lists.get(key) ?? lists.set(key, []).get(key)!).push(value);
}

export class EpochLog {
  private readonly startedAt = performance.now();
  /** Rows seen this epoch, steps without a labelled task included. */
  samples = 0;
  private readonly losses = new Map<string, number[]>();
  private readonly weights = new Map<string, number[]>();
  private readonly totals: number[] = [];
  private readonly penalties: number[] = [];

  constructor(readonly epoch: number) {}

  /** Seconds since the epoch began. */
  get seconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  addBatch(rows: number): void {
    this.samples += rows;
  }

  addStep(step: StepRecord, penalty: number): void {
    for (const n of step.tasks) {
      append(this.losses, n, step.losses[n]);
      append(this.weights, n, step.weights[n]);
    }
    this.totals.push(step.total);
    this.penalties.push(penalty);
  }

  /** The epoch's record, with what the optimizer, the gates and the conflict monitor report at its end. */
  record(end: { lr: number[]; gateUsage: GateUsage; gradientCosines: GradientCosine[] }): EpochRecord {
    const seconds = this.seconds;
    const means = (lists: Map<string, number[]>) => Object.fromEntries([...lists].map(([n, v]) => [n, average(v)]));
    return {
      epoch: this.epoch,
      seconds,
      samples: this.samples,
      samplesPerSecond: this.samples / Math.max(seconds, 1e-9),
      loss: means(this.losses),
      totalLoss: average(this.totals),
      weights: means(this.weights),
      penalty: this.penalties.length ? average(this.penalties) : 0,
      lr: end.lr,
      gateUsage: end.gateUsage,
      gradientCosines: end.gradientCosines,
    };
  }
}
