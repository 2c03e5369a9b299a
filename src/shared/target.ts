// The regression-target scaler, shared by the data layer (which fits it on the training
// rows) and the multi-task layer (which trains on scaled targets and maps predictions back).

export type TargetTransform = 'none' | 'log1p';

/**
 * How a regression target is fed to the loss: t = (transform(y) - mean) / std. Predictions are
 * mapped back, so metrics are in the target's units (on the log1p scale under 'log1p').
 */
export interface TargetScaler {
  transform: TargetTransform;
  mean: number;
  std: number;
}

export function applyTransform(transform: TargetTransform, v: number): number {
  return transform === 'log1p' ? Math.log1p(v) : v;
}

export function invertTransform(transform: TargetTransform, v: number): number {
  return transform === 'log1p' ? Math.expm1(v) : v;
}

/** The unit metrics of a regression task are reported in. */
export function metricUnit(task: string, scaler: TargetScaler | null | undefined): string {
  return scaler?.transform === 'log1p' ? `log1p(${task})` : task;
}
