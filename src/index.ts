// trunkline: multi-task learning on a from-scratch native tensor engine.
export { Tensor } from './tensor/tensor.js';
export type { DType, Device } from './tensor/dtype.js';
export * from './tensor/creation.js';
export { manualSeed, getRngState, setRngState, Generator, globalGenerator } from './tensor/random.js';
export { tidy, keep } from './tensor/scope.js';
export { hostMemoryStats, emptyCache } from './tensor/storage.js';
export * from './ops/index.js';
export { noGrad, isGradEnabled, setGradEnabled, grad, valueAndGrad } from './autograd/engine.js';
export { gradcheck, type GradcheckResult, type GradcheckOptions } from './autograd/gradcheck.js';
export * from './settings.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as mtl from './mtl/index.js';
export * as metrics from './metrics/index.js';
export * as data from './data/index.js';
export * as io from './io/index.js';
// A model trained by the CLI (`trunkline train`), loaded from its run directory.
export { loadRun, LoadedRun, type TaskPrediction, type SavedRunConfig } from './cli/saved.js';
export { serve, buildServer, ServedModel, readFeedback, abReport, type ServeOptions, type RowAnswer, type FeedbackEntry } from './serve/index.js';
export { cuda, type CudaMemoryStats, type MatmulPrecision } from './backend/cuda.js';
export * as distributed from './distributed/index.js';
