// Metrics on plain arrays (Float32Array, Int32Array, number[]). Missing labels are skipped.
export * from './classification.js';
export * from './ranking.js';
export * from './regression.js';
export * from './gain.js';
export * from './evaluate.js';
export * from './constant.js';
