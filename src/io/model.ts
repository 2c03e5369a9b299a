// A saved model is a directory: weights.safetensors (the tensors) and config.json (the
// caller's config, the fitted feature pipeline, and a checksum and list of the weights).
// Saving over an existing model is crash-safe as a pair: the new model is written into a
// sibling temp directory and fsynced, then swapped in with renames (old -> .old, new ->
// dir, remove .old). A save killed at any moment leaves the old model or the new one;
// loading reads through a half-finished swap, and the next save removes the litter.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FeaturePipeline } from '../data/features.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkTensors, parseSafetensors, serializeSafetensors, type TensorShapes } from './safetensors.js';
import { syncDir } from './atomic.js';

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
  /** Tensors stored in a dtype trunkline does not compute in, and how they were converted (name -> 'F64 -> float32'). */
  conversions: Record<string, string>;
}

/** Saves weights.safetensors and config.json into `dir` (created if needed). */
export function saveModel<C>(dir: string, options: SaveModelOptions<C>): void {
  const bytes = serializeSafetensors(options.weights, options.metadata);
  const tensors = tensorList(options.weights);
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
  writeModelDir(dir, [
    [WEIGHTS_FILE, bytes],
    [CONFIG_FILE, Buffer.from(json, 'utf8')],
  ]);
}

const MODEL_FILES = new Set([WEIGHTS_FILE, CONFIG_FILE]);

/** Temp siblings of a model directory: `.<name>.new-<pid>-<hex>` and `.<name>.old-<pid>-<hex>`. */
function siblings(dir: string): { path: string; kind: 'new' | 'old'; pid: number }[] {
  const parent = dirname(dir);
  const prefix = `.${basename(dir)}.`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const out: { path: string; kind: 'new' | 'old'; pid: number }[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(new|old)-(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length));
    if (m) out.push({ path: join(parent, name), kind: m[1] as 'new' | 'old', pid: Number(m[2]) });
  }
  return out;
}

/** Whether a process with this id still runs (a save of that process may be under way). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Finishes or undoes what a killed save left beside `dir`: with `dir` gone mid-swap, the old
 * model goes back; then temp directories of dead processes are removed.
 */
export function recoverModelDir(dir: string): void {
  const dead = siblings(dir).filter((s) => !processAlive(s.pid));
  if (!existsSync(dir)) {
    const old = dead.find((s) => s.kind === 'old');
    if (old) renameSync(old.path, dir);
  }
  for (const s of dead) if (existsSync(s.path)) rmSync(s.path, { recursive: true, force: true });
}

function isCompleteModel(dir: string): boolean {
  return existsSync(join(dir, CONFIG_FILE)) && existsSync(join(dir, WEIGHTS_FILE));
}

/**
 * Where a model directory's files are: `dir` itself, or, in the moment between the two
 * renames of a swap (or after a save was killed there), the old copy beside it.
 */
function readableModelDir(dir: string): string {
  if (existsSync(dir)) return dir;
  const old = siblings(dir).find((s) => s.kind === 'old' && isCompleteModel(s.path));
  return old ? old.path : dir;
}

function writeFileSynced(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces the model directory `dir` with exactly these files, crash-safely (see the top of this file). */
function writeModelDir(dir: string, files: [string, Uint8Array][]): void {
  const parent = dirname(dir);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw new Error(`cannot save the model to ${dir}: ${(e as Error).message}`);
  }
  recoverModelDir(dir);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new Error(`cannot save the model to ${dir}: it exists and is not a directory`);
    // The swap replaces the whole directory, so it must hold nothing but a model.
    const others = readdirSync(dir).filter((f) => !MODEL_FILES.has(f));
    if (others.length)
      throw new Error(`cannot save the model to ${dir}: it holds other files (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''}) that saving would remove; choose an empty or model directory`);
  }
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const fresh = join(parent, `.${basename(dir)}.new-${tag}`);
  const old = join(parent, `.${basename(dir)}.old-${tag}`);
  try {
    mkdirSync(fresh);
    for (const [name, bytes] of files) writeFileSynced(join(fresh, name), bytes);
    syncDir(fresh);
    if (existsSync(dir)) {
      renameSync(dir, old);
      try {
        renameSync(fresh, dir);
      } catch (e) {
        renameSync(old, dir);
        throw e;
      }
    } else {
      renameSync(fresh, dir);
    }
    syncDir(parent);
  } catch (e) {
    rmSync(fresh, { recursive: true, force: true });
    throw new Error(`cannot save the model to ${dir}: ${(e as Error).message}`);
  }
  rmSync(old, { recursive: true, force: true });
}

/**
 * Re-records the checksum, size and tensor list of `dir`'s weights in its config.json, after
 * the weights were edited on purpose (in Python, say). The weights must still parse.
 */
export function rehashModel(dir: string): { sha256: string; bytes: number; tensors: number; conversions: Record<string, string> } {
  const cfg = readModelConfig(dir);
  const weightsPath = join(readableModelDir(dir), cfg.weights.file ?? WEIGHTS_FILE);
  const bytes = readWeights(weightsPath);
  const { tensors, conversions } = parseSafetensors(bytes, weightsPath);
  const listed = tensorList(tensors);
  for (const t of Object.values(tensors)) t.dispose();
  const updated = { ...cfg, weights: { ...cfg.weights, sha256: sha256(bytes), bytes: bytes.length, tensors: listed } };
  writeModelDir(dir, [
    [WEIGHTS_FILE, bytes],
    [CONFIG_FILE, Buffer.from(JSON.stringify(updated, null, 2) + '\n', 'utf8')],
  ]);
  return { sha256: updated.weights.sha256, bytes: bytes.length, tensors: Object.keys(listed).length, conversions };
}

/** The name -> dtype and shape list config.json records, sorted by name. */
function tensorList(tensors: Record<string, Tensor>): ModelConfigFile<unknown>['weights']['tensors'] {
  const out: ModelConfigFile<unknown>['weights']['tensors'] = {};
  for (const name of Object.keys(tensors).sort()) out[name] = { dtype: tensors[name].dtype, shape: [...tensors[name].shape] };
  return out;
}

function readWeights(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read the weights: ${(e as Error).message}`);
  }
}

/** Reads and checks only config.json (e.g. to rebuild the architecture before loading weights). */
export function readModelConfig<C = unknown>(dir: string): ModelConfigFile<C> {
  const path = join(readableModelDir(dir), CONFIG_FILE);
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
  const from = readableModelDir(dir);
  const configPath = join(from, CONFIG_FILE);
  const weightsPath = join(from, cfg.weights.file ?? WEIGHTS_FILE);
  const bytes = readWeights(weightsPath);
  if (sha256(bytes) !== cfg.weights.sha256)
    throw new Error(
      `${weightsPath} does not match ${configPath} (checksum differs: ${bytes.length} bytes, expected ${cfg.weights.bytes}); the files come from different saves or one is damaged; if you edited the weights on purpose, run \`trunkline rehash --model ${dir}\` to record their new checksum`,
    );
  const { tensors, metadata, conversions } = parseSafetensors(bytes, weightsPath);
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
  return { config: cfg.config, pipeline, weights: tensors, metadata, conversions };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
