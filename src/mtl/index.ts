// Multi-task learning: tasks, input encoding, architectures, loss weighting, diagnostics, training.
export { Task, defineTasks, tasksFromData, type TaskSpec, type TaskType, type LossFn, type LossName, type PreparedLabel } from './task.js';
export type { Batch, DataLoader, DataSource, FeatureSpec, TensorData } from './types.js';
export { InputEncoder, type InputEncoderOptions } from './encoder.js';
export { MultiTaskModel, ModuleMap, defaultTower, mlpBlock, type GateUsage, type InputOptions, type ModelOptions } from './model.js';
export { SharedBottom, type SharedBottomOptions } from './shared-bottom.js';
export { MMoE, PLE, CGC, mixExperts, type MMoEOptions, type PLEOptions, type ExpertFactory, type ExpertOptions } from './experts.js';
export { ESMM, esmmProduct, type ESMMOptions } from './esmm.js';
export { CrossStitch, CrossStitchUnit, SoftSharing, type CrossStitchOptions, type SoftSharingOptions } from './soft-sharing.js';
export * as weighting from './weighting/index.js';
export type { LossWeighting, WeightingContext, WeightingResult } from './weighting/index.js';
export * as gradients from './gradients.js';
export { cosine, taskGradients } from './gradients.js';
export { ConflictMonitor, type GradientCosine } from './diagnostics.js';
export { TensorBatches, type Resampling } from './data.js';
// TensorBatches shuffles with the engine's generator; `Rng` is the name it went by here.
export { Generator as Rng } from '../tensor/random.js';
export { train, monitoredValue, type TrainOptions, type Schedule, type EarlyStopping, type Callbacks, type PerTaskData } from './trainer.js';
export { evaluate, evaluateConstant, predict } from './evaluate.js';
export { Progress, type ProgressOption } from './progress.js';
export type { History, EpochRecord, StepRecord, EvaluationResult } from './history.js';
