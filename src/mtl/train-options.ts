// What `train` takes: the data shapes and every option, with its default.
import type { Tensor } from '../tensor/tensor.js';
import type { Optimizer } from './deps.js';
import type { Resampling } from './data.js';
import type { EarlyStopping } from './early-stopping.js';
import type { EpochRecord, History, StepRecord } from './history.js';
import type { ProgressOption } from './progress.js';
import type { DataSource } from './types.js';
import type { LossWeighting } from './weighting/index.js';

export type { EarlyStopping } from './early-stopping.js';

/** Separate data sets per task, for tasks that do not share rows. */
export interface PerTaskData {
  perTask: Record<string, DataSource>;
}

export type Schedule = 'joint' | 'alternate-batch' | 'alternate-epoch';

export interface Callbacks {
  onEpochBegin?(epoch: number): void;
  onBatchEnd?(step: StepRecord): void;
  onEpochEnd?(record: EpochRecord, history: History): void;
  onTrainEnd?(history: History): void;
}

export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  /** Learning rate of the default Adam optimizer (default 1e-2). */
  lr?: number;
  /** Builds the optimizer from param groups (default Adam). */
  optimizer?: (groups: { params: Tensor[]; lr: number }[]) => Optimizer;
  /** A strategy, or a built-in's name; default fixed (each task's declared weight). */
  weighting?: LossWeighting | string;
  schedule?: Schedule;
  /** Relative frequency of each task under alternating schedules and per-task data (default equal). */
  samplingRatios?: Record<string, number>;
  /** Over/under-sampling of binary tasks' rows (tensor data): { task: { positive: 3 } }. */
  resample?: Record<string, Resampling>;
  /** Train only these tasks (e.g. a task just added); default all. */
  tasks?: string[];
  /** Learning rate of the weighting strategy's own parameters (uncertainty log-variances); default lr. */
  weightingLr?: number;
  /** Learning-rate multiplier for the shared parameters; 0 freezes them (default 1). */
  sharedLrScale?: number;
  validation?: DataSource;
  earlyStopping?: EarlyStopping;
  /** Sample the task gradients' cosines and norm ratios every n-th step (default 10; 0 = never). */
  conflictEvery?: number;
  /** Also sample every one of the first n steps, so small data sets get a stable estimate (default 50). */
  conflictWarmup?: number;
  callbacks?: Callbacks;
  /** 'auto' (default): a bar on a terminal, silent otherwise; true: a bar on a terminal, one line per epoch otherwise; 'lines'; false: silent. */
  progress?: ProgressOption;
  /** As in tfjs's fit: 0 silent, 1 progress as with `progress: true`, 2 one line per epoch. Overrides `progress`. */
  verbose?: 0 | 1 | 2;
  shuffle?: boolean;
  /** Seed of the batch order and sampling (default 0). */
  seed?: number;
  /** Keep every n-th step in history.steps (default 1; 0 = none). */
  logStepsEvery?: number;
  /**
   * Data-parallel training across the processes of an MPI launcher (mpirun, srun; see
   * docs/distributed.md): each rank trains on its share of the batches, gradients are
   * averaged before each step, validation is gathered, only rank 0 shows progress. A
   * no-op outside a launcher. Default false.
   */
  distributed?: boolean;
}
