// A saved model is a directory: weights.safetensors (the tensors) and config.json (the
// caller's config, the fitted feature pipeline, and a checksum and list of the weights).
// Each file is written atomically, weights first, so an interrupted save is caught on load
// by the checksum instead of pairing a new config with old weights.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FeaturePipeline } from '../data/features.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { writeFileAtomic } from './atomic.js';
import { checkTensors, parseSafetensors, serializeSafetensors, type TensorShapes } from './safetensors.js';

export const WEIGHTS_FILE = 'weights.safetensors';
export const CONFIG_FILE = 'config.json';

export interface SaveModelOptions<C> {
  /** Named tensors, e.g. module.stateDict(). */
  weights: Record<string, Tensor>;
  /** Any JSON-safe object: architecture, tasks, training settings. */
  config: C;
  /** The fitted features, so the saved model predicts from raw rows. */
  pipeline?: FeaturePipeline | null;
  /** Strings stored in the safetensors header (__metadata__). */
  metadata?: Record<string, string>;
}

export interface ModelConfigFile<C> {
  format: 'trunkline.model';
  version: 1;
  savedAt: string;
  config: C;
  features: ReturnType<FeaturePipeline['toJSON']> | null;
  weights: { file: string; sha256: string; bytes: number; tensors: Record<string, { dtype: DType; shape: number[] }> };
}

export interface LoadedModel<C> {
  config: C;
  pipeline: FeaturePipeline | null;
  weights: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** Saves weights.safetensors and config.json into `dir` (created if needed). */
export function saveModel<C>(dir: string, options: SaveModelOptions<C>): void {
  const bytes = serializeSafetensors(options.weights, options.metadata);
  const tensors: ModelConfigFile<C>['weights']['tensors'] = {};
  for (const name of Object.keys(options.weights).sort()) {
    const t = options.weights[name];
    tensors[name] = { dtype: t.dtype, shape: [...t.shape] };
  }
  const file: ModelConfigFile<C> = {
    format: 'trunkline.model',
    version: 1,
    savedAt: new Date().toISOString(),
    config: options.config,
    features: options.pipeline ? options.pipeline.toJSON() : null,
    weights: { file: WEIGHTS_FILE, sha256: sha256(bytes), bytes: bytes.length, tensors },
  };
  let json: string;
  try {
    json = JSON.stringify(file, null, 2) + '\n';
  } catch (e) {
    throw new Error(`saveModel: the config is not JSON-serialisable: ${(e as Error).message}`);
  }
  writeFileAtomic(join(dir, WEIGHTS_FILE), bytes);
  writeFileAtomic(join(dir, CONFIG_FILE), json);
}

/** Reads and checks only config.json (e.g. to rebuild the architecture before loading weights). */
export function readModelConfig<C = unknown>(dir: string): ModelConfigFile<C> {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) throw new Error(`${path}: not found (is ${dir} a saved trunkline model?)`);
  let parsed: ModelConfigFile<C>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!parsed || parsed.format !== 'trunkline.model') throw new Error(`${path}: not a trunkline model config (format ${JSON.stringify(parsed?.format)})`);
  if (parsed.version !== 1) throw new Error(`${path}: unsupported version ${parsed.version} (this build reads version 1)`);
  if (!parsed.weights || typeof parsed.weights.sha256 !== 'string' || !parsed.weights.tensors) throw new Error(`${path}: the 'weights' entry is missing or incomplete`);
  return parsed;
}

/**
 * Loads a saved model directory. With `expected` (name -> shape, e.g. from a freshly built
 * model's stateDict), a missing, extra or mis-shaped tensor is an error naming it.
 */
export function loadModel<C = unknown>(dir: string, options: { expected?: TensorShapes; strict?: boolean } = {}): LoadedModel<C> {
  const cfg = readModelConfig<C>(dir);
  const configPath = join(dir, CONFIG_FILE);
  const weightsPath = join(dir, cfg.weights.file ?? WEIGHTS_FILE);
  let bytes: Buffer;
  try {
    bytes = readFileSync(weightsPath);
  } catch (e) {
    throw new Error(`${weightsPath}: cannot read the weights: ${(e as Error).message}`);
  }
  if (sha256(bytes) !== cfg.weights.sha256)
    throw new Error(
      `${weightsPath} does not match ${configPath} (checksum differs: ${bytes.length} bytes, expected ${cfg.weights.bytes}); the files come from different saves or one is damaged`,
    );
  const { tensors, metadata } = parseSafetensors(bytes, weightsPath);
  try {
    const listed: TensorShapes = {};
    for (const [name, e] of Object.entries(cfg.weights.tensors)) listed[name] = e;
    checkTensors(tensors, listed, weightsPath);
    if (options.expected) checkTensors(tensors, options.expected, weightsPath, { strict: options.strict ?? true });
  } catch (e) {
    for (const t of Object.values(tensors)) t.dispose();
    throw e;
  }
  let pipeline: FeaturePipeline | null = null;
  if (cfg.features) {
    try {
      pipeline = FeaturePipeline.fromJSON(cfg.features);
    } catch (e) {
      throw new Error(`${configPath}: ${(e as Error).message}`);
    }
  }
  return { config: cfg.config, pipeline, weights: tensors, metadata };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
