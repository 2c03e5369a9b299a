// A trial as the search records it (one line of trials.jsonl) and the messages between the
// search and its worker processes.
import type { JobConfig } from '../cli/config.js';
import type { Params } from './space.js';
import type { TaskMetricValues } from './objective.js';

export type TrialStatus = 'finished' | 'stopped' | 'failed';

export interface TrialRecord {
  trial: number;
  /** The sampled values (trial 0: the config's own values at the space's paths). */
  params: Params;
  seed: number;
  status: TrialStatus;
  /** Epochs trained. */
  epochs: number;
  /** Successive halving: the rung (epochs) the trial was stopped at. */
  stoppedAt?: number;
  /** Validation metrics per task (the kept checkpoint's; a stopped trial's last epoch). Never test metrics. */
  validation: TaskMetricValues | null;
  /** The scalarised validation objective (higher is better). */
  objective: number | null;
  seconds: number;
  error?: string;
}

/** What a worker is asked to do. */
export type WorkerJob =
  | {
      type: 'trial';
      trial: number;
      config: JobConfig;
      seed: number;
      /** The seed of the data split: the same for every trial, so they share one validation split. */
      splitSeed: number;
      /** Where the trained weights go (for the final test of the chosen trials). */
      weightsPath: string;
      /** Successive halving, when on. */
      asha: { rungs: number[]; eta: number; file: string; weights: Record<string, number> } | null;
    }
  | { type: 'test'; trial: number; config: JobConfig; splitSeed: number; weightsPath: string };

/** What a worker answers. */
export type WorkerReply =
  | { type: 'trial'; trial: number; status: 'finished' | 'stopped'; epochs: number; stoppedAt?: number; validation: TaskMetricValues; seconds: number }
  | { type: 'test'; trial: number; test: TaskMetricValues }
  | { type: 'error'; trial: number; message: string };
