// The record of a training run: a plain JSON-able object (NaN metrics serialise as null).
import type { GateUsage } from './model.js';
import type { GradientCosine } from './diagnostics.js';

export interface EvaluationResult {
  /** Mean masked loss per task over the labelled rows. */
  loss: Record<string, number>;
  /** Per task, per metric name. */
  metrics: Record<string, Record<string, number>>;
  /** Labelled rows per task (labelled cells for multilabel tasks). */
  rows: Record<string, number>;
}

export interface StepRecord {
  step: number;
  epoch: number;
  /** Tasks that had a loss in this step. */
  tasks: string[];
  losses: Record<string, number>;
  /** Effective weight of each active task (from the weighting strategy). */
  weights: Record<string, number>;
  /** The back-propagated total (weighted losses plus any penalty). */
  total: number;
}

export interface EpochRecord {
  epoch: number;
  seconds: number;
  samples: number;
  samplesPerSecond: number;
  /** Mean training loss per task (over the batches where it was active). */
  loss: Record<string, number>;
  /** Mean of the back-propagated total. */
  totalLoss: number;
  /** Mean effective weight per task. */
  weights: Record<string, number>;
  /** Soft-sharing penalty, mean over steps (0 when none). */
  penalty: number;
  /** Learning rate of each optimizer param group at the end of the epoch: task-specific, shared (absent when frozen), weighting parameters (when any). */
  lr: number[];
  /** Mean gate weight per gate and expert (MMoE: gate = task; PLE/CGC: "task@L<level>", "shared@L<level>"). */
  gateUsage: GateUsage;
  /** Cosine similarity of task-gradient pairs on the shared parameters, over the sampled steps. */
  gradientCosines: GradientCosine[];
  /** On the validation data, when given. */
  validation?: EvaluationResult;
}

export interface History {
  architecture: string;
  weighting: string;
  schedule: string;
  /** The tasks trained in this run. */
  tasks: string[];
  epochs: EpochRecord[];
  /** Every `logStepsEvery`-th step. */
  steps: StepRecord[];
  /** The best epoch by the early-stopping monitor (restored into the model), or null without early stopping. */
  best: { epoch: number; value: number; monitor: string; metric: string } | null;
  stoppedEarly: boolean;
}
