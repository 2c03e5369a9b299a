// Loading a saved run's model: rebuilds the architecture from config.json, then loads
// the weights, checking every tensor's name and shape against it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, readModelConfig } from '../io/index.js';
import type { FeaturePipeline, Table } from '../data/index.js';
import type { MultiTaskModel } from '../mtl/index.js';
import type { Architecture, JobConfig } from './config.js';
import { buildModel } from './models.js';

export interface SavedRunConfig {
  job: JobConfig;
  architecture: Architecture;
}

export interface LoadedRun {
  dir: string;
  config: SavedRunConfig;
  pipeline: FeaturePipeline;
  model: MultiTaskModel;
}

/** Accepts a run directory (runs/<id>) or its model/ directory. */
export function modelDir(path: string): string {
  if (existsSync(join(path, 'model', 'config.json'))) return join(path, 'model');
  if (existsSync(join(path, 'config.json'))) return path;
  throw new Error(`${path}: no saved model here (expected ${join(path, 'model', 'config.json')} or ${join(path, 'config.json')})`);
}

export function loadRun(path: string): LoadedRun {
  const dir = modelDir(path);
  const file = readModelConfig<SavedRunConfig>(dir);
  const cfg = file.config;
  if (!cfg || typeof cfg !== 'object' || !cfg.job || !cfg.architecture)
    throw new Error(`${join(dir, 'config.json')}: not a trunkline train run (no job config or architecture)`);
  const loaded = loadModel<SavedRunConfig>(dir);
  if (!loaded.pipeline) throw new Error(`${join(dir, 'config.json')}: has no fitted feature pipeline, cannot read raw rows`);
  const model = buildModel(cfg.architecture, loaded.pipeline.featureSpecs, loaded.pipeline.taskSpecs, cfg.job);
  try {
    model.loadStateDict(loaded.weights);
  } catch (e) {
    throw new Error(`${join(dir, 'weights.safetensors')}: does not fit the ${cfg.architecture} model of ${join(dir, 'config.json')}: ${(e as Error).message}`);
  }
  return { dir, config: cfg, pipeline: loaded.pipeline, model };
}

/** The columns a labelled file needs for this pipeline: the inputs, then the task labels. */
export function requiredColumns(pipeline: FeaturePipeline): string[] {
  return [...new Set([...pipeline.inputColumns, ...pipeline.tasks.map((t) => t.column)])];
}

/** Numeric feature cells that did not parse are read as missing; say so instead of filling them silently. */
export function warnInvalidNumbers(table: Table, pipeline: FeaturePipeline, log: (s: string) => void): void {
  for (const f of pipeline.features) {
    if (f.kind !== 'numeric' || !table.has(f.column)) continue;
    const col = table.column(f.column);
    if (col.type === 'numeric' && col.invalid > 0)
      log(`warning: ${table.file}, column '${f.column}': ${col.invalid} cells are not numbers; they are treated as missing (filled with the training mean)`);
  }
}
