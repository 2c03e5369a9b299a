// The job config: what `trunkline train --config my.json` reads, with defaults that
// make `npm start` the Bank Marketing main job. Every field is checked with an error
// naming the config file and the field.
import { readFileSync } from 'node:fs';
import type { FeatureConfig, TaskConfig } from '../data/index.js';
import { weightingByName } from '../mtl/weighting/index.js';
import { METRIC_NAMES } from '../metrics/evaluate.js';

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
    /** Ragged rows and broken quotes in the training file: 'skip' (default) counts and reports them, 'error' stops at the first. */
    onBadRow?: 'skip' | 'error';
  };
  /** The tasks, each a label column and a type. */
  tasks: (TaskConfig & { weight?: number; posWeight?: number; towerHidden?: number[] })[];
  /** Explicit feature columns (default: every other column, by its inferred type). */
  features?: FeatureConfig[];
  model: {
    architecture?: Architecture;
    embeddingDim?: number;
    /** Shared-bottom / ESMM / cross-stitch trunk hidden sizes. */
    hidden?: number[];
    /** Each expert's hidden sizes (MMoE, PLE, CGC); default `hidden`. */
    expertHidden?: number[];
    /** While training, replace categorical ids by the out-of-vocabulary id with this probability (default 0). */
    idDropout?: number;
    towerHidden?: number[];
    experts?: number;
    /** PLE / CGC: task-specific experts per task and levels. */
    taskExperts?: number;
    levels?: number;
    /** ESMM: the click task (trained on all impressions) and the click-and-convert task. */
    ctrTask?: string;
    ctcvrTask?: string;
  };
  training: {
    epochs?: number;
    batchSize?: number;
    lr?: number;
    weighting?: string;
    /** Early stopping patience in epochs, on `monitor`. */
    patience?: number;
    /**
     * What early stopping and the best checkpoint follow on the validation split: 'score'
     * (default: the mean over tasks of AUC for binary, accuracy for multiclass, 1 - RMSE/std
     * for regression), 'loss' (the mean validation loss), or one task's metric as 'task.metric'.
     */
    monitor?: string;
    seed?: number;
  };
  /**
   * Also train one single-task model per task on the same split (default true); an object
   * sets their tower (default the multi-task model's `towerHidden`).
   */
  baselines?: boolean | BaselinesConfig;
}

export interface BaselinesConfig {
  /** Train the baselines (default true). */
  enabled?: boolean;
  /** The single-task models' tower hidden sizes. */
  towerHidden?: number[];
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
    training: { epochs: 30, batchSize: 256, lr: 1e-3, weighting: 'equal', patience: 3, monitor: 'score', seed: 1 },
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
  for (const k of ['data', 'model', 'training'])
    if (raw[k] !== undefined && !isObject(raw[k])) fail(file, `'${k}' must be an object, got ${JSON.stringify(raw[k])}`);
  if (raw.data !== undefined && (raw.data as { split?: unknown }).split !== undefined && !isObject((raw.data as { split?: unknown }).split))
    fail(file, `'data.split' must be an object, got ${JSON.stringify((raw.data as { split?: unknown }).split)}`);
  // The Bank job's tasks are the default only when no config is given at all: a config for
  // other data that forgot its tasks would otherwise fail on missing columns y, housing, loan.
  if (raw.tasks === undefined) fail(file, "has no 'tasks': name each task's column and type (see README: the config file)");
  const base = defaultConfig();
  const merged: JobConfig = {
    data: { ...base.data, ...(raw.data as object), split: { ...base.data.split, ...((raw.data as { split?: object })?.split ?? {}) } },
    tasks: (raw.tasks as JobConfig['tasks']) ?? base.tasks,
    features: raw.features as FeatureConfig[] | undefined,
    model: { ...base.model, ...(raw.model as object) },
    training: { ...base.training, ...(raw.training as object) },
    baselines: (raw.baselines as JobConfig['baselines'] | undefined) ?? base.baselines,
  };
  // A config for the user's own data must not inherit the bank data's leak column.
  if ((raw.data as { path?: string } | undefined)?.path && !(raw.data as { drop?: unknown }).drop) merged.data.drop = [];
  validateConfig(merged, file);
  return merged;
}

const SECTION_KEYS: Record<string, readonly string[]> = {
  data: ['path', 'validationPath', 'testPath', 'drop', 'dedupe', 'split', 'onBadRow'],
  'data.split': ['kind', 'column', 'validation', 'test'],
  model: ['architecture', 'embeddingDim', 'idDropout', 'hidden', 'expertHidden', 'towerHidden', 'experts', 'taskExperts', 'levels', 'ctrTask', 'ctcvrTask'],
  training: ['epochs', 'batchSize', 'lr', 'weighting', 'patience', 'monitor', 'seed'],
  task: ['name', 'column', 'type', 'positive', 'negative', 'classes', 'separator', 'weight', 'posWeight', 'towerHidden', 'transform', 'scale'],
  baselines: ['enabled', 'towerHidden'],
  feature: ['name', 'column', 'kind', 'minCount', 'maxVocab', 'hashBuckets', 'scale', 'fill', 'missingFlag', 'separator', 'ngrams'],
};

/** A misspelt field would otherwise be ignored silently and its default used. */
function checkKeys(file: string, where: string, value: unknown, known: readonly string[]): void {
  if (value === undefined) return;
  if (!isObject(value)) fail(file, `${where} must be an object, got ${JSON.stringify(value)}`);
  for (const k of Object.keys(value)) if (!known.includes(k)) fail(file, `unknown field '${where}.${k}' (known: ${known.join(', ')})`);
}

export function validateConfig(c: JobConfig, file = 'config'): void {
  checkKeys(file, 'data', c.data, SECTION_KEYS.data);
  checkKeys(file, 'data.split', c.data.split, SECTION_KEYS['data.split']);
  checkKeys(file, 'model', c.model, SECTION_KEYS.model);
  checkKeys(file, 'training', c.training, SECTION_KEYS.training);
  if (!Array.isArray(c.tasks) || c.tasks.length === 0) fail(file, "'tasks' must be a non-empty array");
  const names = new Set<string>();
  c.tasks.forEach((t, i) => {
    if (!isObject(t) || typeof t.name !== 'string' || !t.name) fail(file, `tasks[${i}] needs a 'name'`);
    checkKeys(file, `tasks[${i}]`, t, SECTION_KEYS.task);
    if (names.has(t.name)) fail(file, `task '${t.name}' is declared twice`);
    names.add(t.name);
    if (!['binary', 'multiclass', 'multilabel', 'regression'].includes(t.type))
      fail(file, `tasks[${i}] ('${t.name}'): type must be binary, multiclass, multilabel or regression, got ${JSON.stringify(t.type)}`);
    positiveIntList(file, t.towerHidden, `tasks[${i}].towerHidden`);
    if (t.weight !== undefined && !(typeof t.weight === 'number' && Number.isFinite(t.weight) && t.weight >= 0))
      fail(file, `tasks[${i}].weight ('${t.name}') must be a finite number >= 0, got ${JSON.stringify(t.weight)}`);
    if (t.posWeight !== undefined && !(typeof t.posWeight === 'number' && Number.isFinite(t.posWeight) && t.posWeight > 0))
      fail(file, `tasks[${i}].posWeight ('${t.name}') must be a finite number > 0, got ${JSON.stringify(t.posWeight)}`);
    if (t.posWeight !== undefined && t.type !== 'binary' && t.type !== 'multilabel')
      fail(file, `tasks[${i}].posWeight ('${t.name}') applies to binary and multilabel tasks, not ${t.type}`);
    for (const [field, allowed] of [['transform', ['none', 'log1p']], ['scale', ['standard', 'none']]] as const) {
      const v = t[field];
      if (v === undefined) continue;
      if (t.type !== 'regression') fail(file, `tasks[${i}].${field} ('${t.name}') applies to regression tasks, not ${t.type}`);
      if (!(allowed as readonly unknown[]).includes(v)) fail(file, `tasks[${i}].${field} ('${t.name}') must be ${allowed.join(' or ')}, got ${JSON.stringify(v)}`);
    }
  });
  if (c.features !== undefined) {
    if (!Array.isArray(c.features) || c.features.length === 0) fail(file, "'features' must be a non-empty array (or left out to use every other column)");
    c.features.forEach((f, i) => {
      if (!isObject(f) || typeof f.name !== 'string' || !f.name) fail(file, `features[${i}] needs a 'name'`);
      checkKeys(file, `features[${i}]`, f, SECTION_KEYS.feature);
      if (f.kind !== undefined && !['categorical', 'numeric', 'multihot', 'text'].includes(f.kind))
        fail(file, `features[${i}] ('${f.name}'): kind must be categorical, numeric, multihot or text, got ${JSON.stringify(f.kind)}`);
    });
  }
  const arch = c.model.architecture ?? 'mmoe';
  if (!ARCHITECTURES.includes(arch)) fail(file, `model.architecture must be one of ${ARCHITECTURES.join(', ')}, got ${JSON.stringify(arch)}`);
  const positiveInt = (v: unknown, field: string) => {
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) fail(file, `${field} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  positiveInt(c.training.epochs, 'training.epochs');
  positiveInt(c.training.batchSize, 'training.batchSize');
  positiveInt(c.model.embeddingDim, 'model.embeddingDim');
  positiveInt(c.model.experts, 'model.experts');
  positiveInt(c.model.taskExperts, 'model.taskExperts');
  positiveInt(c.model.levels, 'model.levels');
  positiveIntList(file, c.model.hidden, 'model.hidden', true);
  positiveIntList(file, c.model.expertHidden, 'model.expertHidden', true);
  positiveIntList(file, c.model.towerHidden, 'model.towerHidden');
  if (c.model.idDropout !== undefined && !(typeof c.model.idDropout === 'number' && c.model.idDropout >= 0 && c.model.idDropout < 1))
    fail(file, `model.idDropout must be a probability in [0, 1), got ${JSON.stringify(c.model.idDropout)}`);
  if (c.training.patience !== undefined && !(Number.isInteger(c.training.patience) && c.training.patience >= 0))
    fail(file, `training.patience must be a whole number of epochs, got ${JSON.stringify(c.training.patience)}`);
  if (c.training.seed !== undefined && !Number.isInteger(c.training.seed)) fail(file, `training.seed must be an integer, got ${JSON.stringify(c.training.seed)}`);
  if (c.training.lr !== undefined && !(typeof c.training.lr === 'number' && c.training.lr > 0))
    fail(file, `training.lr must be a positive number, got ${JSON.stringify(c.training.lr)}`);
  checkMonitor(file, c);
  if (c.training.weighting !== undefined) {
    try {
      weightingByName(String(c.training.weighting));
    } catch (e) {
      fail(file, `training.weighting: ${(e as Error).message.replace(/^weighting: /, '')}`);
    }
  }
  for (const [field, v] of [['data.split.validation', c.data.split?.validation], ['data.split.test', c.data.split?.test]] as const)
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v < 1)) fail(file, `${field} must be a fraction in [0, 1), got ${JSON.stringify(v)}`);
  if ((c.data.split?.validation ?? 0.1) + (c.data.split?.test ?? 0.1) >= 1)
    fail(file, `data.split.validation + data.split.test must leave rows to train on (sum < 1), got ${(c.data.split?.validation ?? 0.1) + (c.data.split?.test ?? 0.1)}`);
  const kind = c.data.split?.kind;
  if (kind !== undefined && !['random', 'stratified', 'time', 'column'].includes(kind))
    fail(file, `data.split.kind must be random, stratified, time or column, got ${JSON.stringify(kind)}`);
  if (c.data.onBadRow !== undefined && c.data.onBadRow !== 'skip' && c.data.onBadRow !== 'error')
    fail(file, `data.onBadRow must be 'skip' or 'error', got ${JSON.stringify(c.data.onBadRow)}`);
  if (c.data.drop !== undefined && !(Array.isArray(c.data.drop) && c.data.drop.every((d) => typeof d === 'string')))
    fail(file, `data.drop must be an array of column names, got ${JSON.stringify(c.data.drop)}`);
  if (c.data.dedupe !== undefined && typeof c.data.dedupe !== 'boolean') fail(file, `data.dedupe must be true or false, got ${JSON.stringify(c.data.dedupe)}`);
  if (c.baselines !== undefined && typeof c.baselines !== 'boolean') {
    checkKeys(file, 'baselines', c.baselines, SECTION_KEYS.baselines);
    if (c.baselines.enabled !== undefined && typeof c.baselines.enabled !== 'boolean')
      fail(file, `baselines.enabled must be true or false, got ${JSON.stringify(c.baselines.enabled)}`);
    positiveIntList(file, c.baselines.towerHidden, 'baselines.towerHidden');
  }
}

/** Whether the job trains single-task baselines. */
export function baselinesEnabled(c: JobConfig): boolean {
  return typeof c.baselines === 'object' ? c.baselines.enabled !== false : c.baselines !== false;
}

/** training.monitor: 'score', 'loss' or 'task.metric' with a metric the task's type has. */
function checkMonitor(file: string, c: JobConfig): void {
  const m = c.training.monitor;
  if (m === undefined || m === 'score' || m === 'loss') return;
  if (typeof m !== 'string') fail(file, `training.monitor must be 'score', 'loss' or 'task.metric', got ${JSON.stringify(m)}`);
  const parsed = parseMonitor(m, c.tasks.map((t) => t.name));
  if (!parsed) fail(file, `training.monitor '${m}' must be 'score', 'loss' or 'task.metric' with a task of this config (${c.tasks.map((t) => t.name).join(', ')})`);
  const type = c.tasks.find((t) => t.name === parsed.task)!.type;
  const known = METRIC_NAMES[type] as readonly string[];
  if (!known.includes(parsed.metric)) fail(file, `training.monitor '${m}': ${type} task '${parsed.task}' has no metric '${parsed.metric}' (known: ${known.join(', ')})`);
}

/** 'task.metric' split at the dot that leaves a known task name (task names may hold dots). */
export function parseMonitor(monitor: string, tasks: readonly string[]): { task: string; metric: string } | null {
  const dot = monitor.lastIndexOf('.');
  if (dot <= 0) return null;
  const task = monitor.slice(0, dot);
  return tasks.includes(task) ? { task, metric: monitor.slice(dot + 1) } : null;
}

function positiveIntList(file: string, v: unknown, field: string, nonEmpty = false): void {
  if (v !== undefined && !(Array.isArray(v) && (!nonEmpty || v.length > 0) && v.every((n) => Number.isInteger(n) && n >= 1)))
    fail(file, `${field} must be ${nonEmpty ? 'a non-empty' : 'an'} array of positive integers (layer widths), got ${JSON.stringify(v)}`);
}
