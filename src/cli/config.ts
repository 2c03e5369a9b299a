// The job config: what `trunkline train --config my.json` reads, with defaults that
// make `npm start` the Bank Marketing main job. Every field is checked with an error
// naming the config file and the field.
import { readFileSync } from 'node:fs';
import type { FeatureConfig, TaskConfig } from '../data/index.js';

export type Architecture = 'shared-bottom' | 'mmoe' | 'ple' | 'cgc' | 'esmm' | 'cross-stitch';
export const ARCHITECTURES: readonly Architecture[] = ['shared-bottom', 'mmoe', 'ple', 'cgc', 'esmm', 'cross-stitch'];

export interface SplitConfig {
  /** random (default), stratified (by `column`), time (by `column`), column (a column names each row's split). */
  kind?: 'random' | 'stratified' | 'time' | 'column';
  column?: string;
  validation?: number;
  test?: number;
}

export interface JobConfig {
  data: {
    /** The training CSV (gzip allowed). Default: the embedded UCI Bank Marketing data. */
    path?: string;
    /** Separate validation / test files instead of a split. */
    validationPath?: string;
    testPath?: string;
    /** Columns never used as inputs (ids, leaks). */
    drop?: string[];
    /** Remove exact duplicate rows from the training data (default true). */
    dedupe?: boolean;
    split?: SplitConfig;
  };
  /** The tasks, each a label column and a type. */
  tasks: (TaskConfig & { weight?: number; posWeight?: number; towerHidden?: number[] })[];
  /** Explicit feature columns (default: every other column, by its inferred type). */
  features?: FeatureConfig[];
  model: {
    architecture?: Architecture;
    embeddingDim?: number;
    /** Shared-bottom / ESMM trunk, and each expert's hidden sizes (MMoE, PLE, CGC). */
    hidden?: number[];
    towerHidden?: number[];
    experts?: number;
    /** PLE / CGC: task-specific experts per task and levels. */
    taskExperts?: number;
    levels?: number;
  };
  training: {
    epochs?: number;
    batchSize?: number;
    lr?: number;
    weighting?: string;
    /** Early stopping patience in epochs, on the mean validation AUC/loss. */
    patience?: number;
    seed?: number;
  };
  /** Also train one single-task model per task on the same split (default true). */
  baselines?: boolean;
}

/** The main job: conversion `y` plus the profile attributes `housing` and `loan`. */
export function defaultConfig(): JobConfig {
  return {
    data: { drop: ['duration'], split: { kind: 'random', validation: 0.1, test: 0.1 } },
    tasks: [
      { name: 'y', type: 'binary' },
      { name: 'housing', type: 'binary' },
      { name: 'loan', type: 'binary' },
    ],
    model: { architecture: 'mmoe', embeddingDim: 8, hidden: [64, 32], towerHidden: [16], experts: 4, taskExperts: 1, levels: 2 },
    training: { epochs: 30, batchSize: 256, lr: 1e-3, weighting: 'equal', patience: 3, seed: 1 },
    baselines: true,
  };
}

function fail(file: string, msg: string): never {
  throw new Error(`${file}: ${msg}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const TOP_KEYS = new Set(['data', 'tasks', 'features', 'model', 'training', 'baselines']);

/** Reads a config file; its fields override the defaults section by section. */
export function loadConfig(file: string): JobConfig {
  let raw: unknown;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    fail(file, `cannot read the config (${(e as Error).message})`);
  }
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(file, `is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(raw)) fail(file, 'the config must be a JSON object');
  for (const k of Object.keys(raw)) if (!TOP_KEYS.has(k)) fail(file, `unknown field '${k}' (known: ${[...TOP_KEYS].join(', ')})`);
  const base = defaultConfig();
  const merged: JobConfig = {
    data: { ...base.data, ...(raw.data as object), split: { ...base.data.split, ...((raw.data as { split?: object })?.split ?? {}) } },
    tasks: (raw.tasks as JobConfig['tasks']) ?? base.tasks,
    features: raw.features as FeatureConfig[] | undefined,
    model: { ...base.model, ...(raw.model as object) },
    training: { ...base.training, ...(raw.training as object) },
    baselines: (raw.baselines as boolean | undefined) ?? base.baselines,
  };
  // A config for the user's own data must not inherit the bank data's leak column.
  if ((raw.data as { path?: string } | undefined)?.path && !(raw.data as { drop?: unknown }).drop) merged.data.drop = [];
  validateConfig(merged, file);
  return merged;
}

export function validateConfig(c: JobConfig, file = 'config'): void {
  if (!Array.isArray(c.tasks) || c.tasks.length === 0) fail(file, "'tasks' must be a non-empty array");
  const names = new Set<string>();
  c.tasks.forEach((t, i) => {
    if (!isObject(t) || typeof t.name !== 'string' || !t.name) fail(file, `tasks[${i}] needs a 'name'`);
    if (names.has(t.name)) fail(file, `task '${t.name}' is declared twice`);
    names.add(t.name);
    if (!['binary', 'multiclass', 'multilabel', 'regression'].includes(t.type))
      fail(file, `tasks[${i}] ('${t.name}'): type must be binary, multiclass, multilabel or regression, got ${JSON.stringify(t.type)}`);
  });
  const arch = c.model.architecture ?? 'mmoe';
  if (!ARCHITECTURES.includes(arch)) fail(file, `model.architecture must be one of ${ARCHITECTURES.join(', ')}, got ${JSON.stringify(arch)}`);
  const positiveInt = (v: unknown, field: string) => {
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) fail(file, `${field} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  positiveInt(c.training.epochs, 'training.epochs');
  positiveInt(c.training.batchSize, 'training.batchSize');
  positiveInt(c.model.embeddingDim, 'model.embeddingDim');
  positiveInt(c.model.experts, 'model.experts');
  if (c.training.lr !== undefined && !(typeof c.training.lr === 'number' && c.training.lr > 0))
    fail(file, `training.lr must be a positive number, got ${JSON.stringify(c.training.lr)}`);
  for (const [field, v] of [['data.split.validation', c.data.split?.validation], ['data.split.test', c.data.split?.test]] as const)
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v < 1)) fail(file, `${field} must be a fraction in [0, 1), got ${JSON.stringify(v)}`);
}
