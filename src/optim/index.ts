// The optim namespace: optimizers, gradient clipping, learning-rate schedulers.
export { Optimizer, type ParamGroup, type ResolvedGroup, type ParamState, type OptimizerStateDict } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, Adagrad, type RMSpropOptions, type AdagradOptions } from './rmsprop.js';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from './clip.js';
export {
  LRScheduler,
  StepLR,
  ExponentialLR,
  CosineAnnealingLR,
  LinearWarmup,
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
} from './scheduler.js';
