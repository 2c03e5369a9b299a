// The job config: what `trunkline train --config my.json` reads. One zod schema gives its
// TypeScript type, its defaults (which make `npm start` the Bank Marketing main job) and
// its error messages, each naming the config file and the field.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { FeatureConfig, TaskConfig } from '../data/index.js';
import { weightingByName } from '../mtl/weighting/index.js';
import { METRIC_NAMES } from '../metrics/evaluate.js';

export const ARCHITECTURES = ['shared-bottom', 'mmoe', 'ple', 'cgc', 'esmm', 'cross-stitch'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

const TASK_TYPES = ['binary', 'multiclass', 'multilabel', 'regression'] as const satisfies readonly TaskConfig['type'][];
const FEATURE_KINDS = ['categorical', 'numeric', 'multihot', 'text'] as const satisfies readonly NonNullable<FeatureConfig['kind']>[];
const SPLIT_KINDS = ['random', 'stratified', 'time', 'column'] as const;
const TARGET_TRANSFORMS = ['none', 'log1p'] as const satisfies readonly NonNullable<TaskConfig['transform']>[];
const TARGET_SCALES = ['standard', 'none'] as const satisfies readonly NonNullable<TaskConfig['scale']>[];
const ON_BAD_ROW = ['skip', 'error'] as const;

// ---- How a failed check reads ---------------------------------------------------------

/** Where a failed check is: the field's path as the user writes it, and the value found there. */
interface Place {
  /** `tasks[0].weight`, `data.split.test`. */
  field: string;
  /** The field's parent: `tasks[0]` for `tasks[0].type`. */
  item: string;
  /** The value found, as JSON. */
  got: string;
  value: unknown;
}

/**
 * Stands for the name of the task or feature a message is about (`'y'`). The schema's checks
 * see one field at a time, so the name is filled in from the whole config when the message
 * is shown. A value shown as JSON can never contain this NUL-delimited marker.
 */
const ITEM_NAME = '\u0000name\u0000';

/** `tasks[0].weight` for ['tasks', 0, 'weight']. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}

/** The message of every failed check on one schema. zod calls it once the failed check's full path is known. */
function failsWith(message: (at: Place) => string) {
  return {
    error: (issue: z.core.$ZodRawIssue): string => {
      const path = issue.path ?? [];
      return message({ field: fieldPath(path), item: fieldPath(path.slice(0, -1)), got: JSON.stringify(issue.input), value: issue.input });
    },
  };
}

/**
 * A field of type T that passes `test`; any other value fails with `message`. A refinement,
 * not a zod type check: its failure does not abort the parse, so inside `baselines` (true,
 * false or an object) a bad field of the object is named, not lost in a failed union.
 */
function checked<T>(test: (value: unknown) => boolean, message: (at: Place) => string) {
  return z.custom<T>().refine(test, failsWith(message));
}

/** A field typed for the code that reads it, whose value this schema leaves to the data step. */
function unchecked<T>() {
  return z.custom<T>().optional();
}

/**
 * An object section whose fields are `shape`: a field not in it is an error, since a misspelt
 * field would otherwise be ignored silently and its default used.
 */
function section<Shape extends z.core.$ZodLooseShape>(shape: Shape, notAnObject: (at: Place) => string) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field '${fieldPath([...(issue.path ?? []), issue.keys[0]])}' (known: ${known.join(', ')})`
        : failsWith(notAnObject).error(issue),
  });
}

/** 'a, b or c'. */
function inWords(values: readonly string[]): string {
  return values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}` : values.join('');
}

const mustBeAnObject = (at: Place) => `'${at.field}' must be an object, got ${at.got}`;

const positiveInt = () => checked<number>((v) => Number.isInteger(v) && (v as number) >= 1, (at) => `${at.field} must be a positive integer, got ${at.got}`);

/** Hidden-layer sizes. */
const layerWidths = (nonEmpty = false) =>
  checked<number[]>(
    (v) => Array.isArray(v) && (!nonEmpty || v.length > 0) && v.every((n) => Number.isInteger(n) && n >= 1),
    (at) => `${at.field} must be ${nonEmpty ? 'a non-empty' : 'an'} array of positive integers (layer widths), got ${at.got}`,
  );

const trueOrFalse = () => checked<boolean>((v) => typeof v === 'boolean', (at) => `${at.field} must be true or false, got ${at.got}`);

const fraction = () => checked<number>((v) => typeof v === 'number' && v >= 0 && v < 1, (at) => `${at.field} must be a fraction in [0, 1), got ${at.got}`);

/** The built-in loss weighting's complaint about `name`, or null for a known one. */
function weightingProblem(name: unknown): string | null {
  try {
    weightingByName(String(name));
    return typeof name === 'string' ? null : `expected a strategy name, got ${JSON.stringify(name)}`;
  } catch (e) {
    return (e as Error).message.replace(/^weighting: /, '');
  }
}

// ---- The schema -----------------------------------------------------------------------

const splitSchema = section(
  {
    /** random (default), stratified (by `column`), time (by `column`), column (a column names each row's split). */
    kind: z.enum(SPLIT_KINDS, failsWith((at) => `${at.field} must be ${inWords(SPLIT_KINDS)}, got ${at.got}`)).default('random'),
    column: unchecked<string>(),
    validation: fraction().default(0.1),
    test: fraction().default(0.1),
  },
  mustBeAnObject,
);

const dataSchema = section(
  {
    /** The training CSV (gzip allowed). Default: the embedded UCI Bank Marketing data. */
    path: unchecked<string>(),
    /** Separate validation / test files instead of a split. */
    validationPath: unchecked<string>(),
    testPath: unchecked<string>(),
    /** Columns never used as inputs (ids, leaks); the default is below. */
    drop: checked<string[]>((v) => Array.isArray(v) && v.every((d) => typeof d === 'string'), (at) => `${at.field} must be an array of column names, got ${at.got}`).optional(),
    /** Remove exact duplicate rows from the training data (the data step's default: true). */
    dedupe: trueOrFalse().optional(),
    split: splitSchema.prefault({}),
    /** Ragged rows and broken quotes in the training file: 'skip' (the data step's default) counts and reports them, 'error' stops at the first. */
    onBadRow: z.enum(ON_BAD_ROW, failsWith((at) => `${at.field} must be ${inWords(ON_BAD_ROW.map((v) => `'${v}'`))}, got ${at.got}`)).optional(),
  },
  mustBeAnObject,
  // The Bank data's leak column is dropped by default; a config for the user's own data must not inherit that.
).transform((data) => ({ ...data, drop: data.drop ?? (data.path ? [] : ['duration']) }));

const taskSchema = section(
  {
    name: checked<string>((v) => typeof v === 'string' && v !== '', (at) => `${at.item} needs a 'name'`),
    column: unchecked<TaskConfig['column']>(),
    type: z.enum(TASK_TYPES, failsWith((at) => `${at.item} (${ITEM_NAME}): type must be ${inWords(TASK_TYPES)}, got ${at.got}`)),
    positive: unchecked<TaskConfig['positive']>(),
    negative: unchecked<TaskConfig['negative']>(),
    classes: unchecked<TaskConfig['classes']>(),
    separator: unchecked<TaskConfig['separator']>(),
    weight: checked<number>((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, (at) => `${at.field} (${ITEM_NAME}) must be a finite number >= 0, got ${at.got}`).optional(),
    /** Binary and multilabel only (checked across fields below). */
    posWeight: checked<number>((v) => typeof v === 'number' && Number.isFinite(v) && v > 0, (at) => `${at.field} (${ITEM_NAME}) must be a finite number > 0, got ${at.got}`).optional(),
    towerHidden: layerWidths().optional(),
    /** Regression only, like `scale`. */
    transform: z.enum(TARGET_TRANSFORMS, failsWith((at) => `${at.field} (${ITEM_NAME}) must be ${inWords(TARGET_TRANSFORMS)}, got ${at.got}`)).optional(),
    scale: z.enum(TARGET_SCALES, failsWith((at) => `${at.field} (${ITEM_NAME}) must be ${inWords(TARGET_SCALES)}, got ${at.got}`)).optional(),
  },
  (at) => `${at.field} needs a 'name'`,
);

const featureSchema = section(
  {
    name: checked<string>((v) => typeof v === 'string' && v !== '', (at) => `${at.item} needs a 'name'`),
    column: unchecked<FeatureConfig['column']>(),
    kind: z.enum(FEATURE_KINDS, failsWith((at) => `${at.item} (${ITEM_NAME}): kind must be ${inWords(FEATURE_KINDS)}, got ${at.got}`)).optional(),
    minCount: unchecked<FeatureConfig['minCount']>(),
    maxVocab: unchecked<FeatureConfig['maxVocab']>(),
    hashBuckets: unchecked<FeatureConfig['hashBuckets']>(),
    scale: unchecked<FeatureConfig['scale']>(),
    fill: unchecked<FeatureConfig['fill']>(),
    missingFlag: unchecked<FeatureConfig['missingFlag']>(),
    separator: unchecked<FeatureConfig['separator']>(),
    ngrams: unchecked<FeatureConfig['ngrams']>(),
  },
  (at) => `${at.field} needs a 'name'`,
);

const modelSchema = section(
  {
    architecture: z.enum(ARCHITECTURES, failsWith((at) => `${at.field} must be one of ${ARCHITECTURES.join(', ')}, got ${at.got}`)).default('mmoe'),
    embeddingDim: positiveInt().default(8),
    /** While training, replace categorical ids by the out-of-vocabulary id with this probability (the model's default: 0). */
    idDropout: checked<number>((v) => typeof v === 'number' && v >= 0 && v < 1, (at) => `${at.field} must be a probability in [0, 1), got ${at.got}`).optional(),
    /** Shared-bottom / ESMM / cross-stitch trunk hidden sizes. */
    hidden: layerWidths(true).default(() => [64, 32]),
    /** Each expert's hidden sizes (MMoE, PLE, CGC); default `hidden`. */
    expertHidden: layerWidths(true).optional(),
    towerHidden: layerWidths().default(() => [16]),
    experts: positiveInt().default(4),
    /** PLE / CGC: task-specific experts per task and levels. */
    taskExperts: positiveInt().default(1),
    levels: positiveInt().default(2),
    /** ESMM: the click task (trained on all impressions) and the click-and-convert task. */
    ctrTask: unchecked<string>(),
    ctcvrTask: unchecked<string>(),
  },
  mustBeAnObject,
);

const trainingSchema = section(
  {
    epochs: positiveInt().default(30),
    batchSize: positiveInt().default(256),
    lr: checked<number>((v) => typeof v === 'number' && v > 0, (at) => `${at.field} must be a positive number, got ${at.got}`).default(1e-3),
    weighting: checked<string>((v) => weightingProblem(v) === null, (at) => `${at.field}: ${weightingProblem(at.value)}`).default('equal'),
    /** Early stopping patience in epochs, on `monitor`. */
    patience: checked<number>((v) => Number.isInteger(v) && (v as number) >= 0, (at) => `${at.field} must be a whole number of epochs, got ${at.got}`).default(3),
    /**
     * What early stopping and the best checkpoint follow on the validation split: 'score'
     * (the mean over tasks of AUC for binary, accuracy for multiclass, 1 - RMSE/std for
     * regression), 'loss' (the mean validation loss), or one task's metric as 'task.metric'
     * (checked against the tasks below).
     */
    monitor: checked<string>((v) => typeof v === 'string', (at) => `${at.field} must be 'score', 'loss' or 'task.metric', got ${at.got}`).default('score'),
    seed: checked<number>((v) => Number.isInteger(v), (at) => `${at.field} must be an integer, got ${at.got}`).default(1),
  },
  mustBeAnObject,
);

const baselinesSchema = section(
  {
    /** Train the baselines (default true). */
    enabled: trueOrFalse().optional(),
    /** The single-task models' tower hidden sizes (default the multi-task model's `towerHidden`). */
    towerHidden: layerWidths().optional(),
  },
  (at) => `${at.field} must be an object, got ${at.got}`,
);

const everyOtherColumn = failsWith(() => "'features' must be a non-empty array (or left out to use every other column)");

const jobConfigSchema = section(
  {
    data: dataSchema.prefault({}),
    /**
     * The tasks, each a label column and a type. No default: the Bank job's tasks are the
     * default only when no config is given at all (defaultConfig), since a config for other
     * data that forgot its tasks would otherwise fail on missing columns y, housing, loan.
     */
    tasks: z
      .array(taskSchema, failsWith((at) => (at.value === undefined ? "has no 'tasks': name each task's column and type (see README: the config file)" : "'tasks' must be a non-empty array")))
      .min(1, failsWith(() => "'tasks' must be a non-empty array")),
    /** Explicit feature columns (default: every other column, by its inferred type). */
    features: z.array(featureSchema, everyOtherColumn).min(1, everyOtherColumn).optional(),
    model: modelSchema.prefault({}),
    training: trainingSchema.prefault({}),
    /**
     * Also train one single-task model per task on the same split (default true); an object
     * sets their tower (default the multi-task model's `towerHidden`).
     */
    baselines: z.union([z.boolean(), baselinesSchema], failsWith((at) => `${at.field} must be an object, got ${at.got}`)).default(true),
  },
  () => 'the config must be a JSON object',
).superRefine(checkAcrossFields, { when: (payload) => payload.issues.length === 0 });

/** The job config with every default filled in. */
export type JobConfig = z.output<typeof jobConfigSchema>;
export type SplitConfig = z.output<typeof splitSchema>;
export type BaselinesConfig = z.output<typeof baselinesSchema>;

/** The checks that read more than one field; they run once every field on its own is right. */
function checkAcrossFields(c: JobConfig, ctx: z.core.$RefinementCtx<JobConfig>): void {
  const fail = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message, input: c });
  const names = new Set<string>();
  c.tasks.forEach((t, i) => {
    if (names.has(t.name)) fail(['tasks', i, 'name'], `task '${t.name}' is declared twice`);
    names.add(t.name);
    if (t.posWeight !== undefined && t.type !== 'binary' && t.type !== 'multilabel')
      fail(['tasks', i, 'posWeight'], `tasks[${i}].posWeight ('${t.name}') applies to binary and multilabel tasks, not ${t.type}`);
    for (const field of ['transform', 'scale'] as const)
      if (t[field] !== undefined && t.type !== 'regression') fail(['tasks', i, field], `tasks[${i}].${field} ('${t.name}') applies to regression tasks, not ${t.type}`);
  });
  const monitor = c.training.monitor;
  if (monitor !== 'score' && monitor !== 'loss') {
    const taskNames = c.tasks.map((t) => t.name);
    const parsed = parseMonitor(monitor, taskNames);
    if (!parsed) fail(['training', 'monitor'], `training.monitor '${monitor}' must be 'score', 'loss' or 'task.metric' with a task of this config (${taskNames.join(', ')})`);
    else {
      const type = c.tasks.find((t) => t.name === parsed.task)!.type;
      const known = METRIC_NAMES[type] as readonly string[];
      if (!known.includes(parsed.metric))
        fail(['training', 'monitor'], `training.monitor '${monitor}': ${type} task '${parsed.task}' has no metric '${parsed.metric}' (known: ${known.join(', ')})`);
    }
  }
  const { validation, test } = c.data.split;
  if (validation + test >= 1) fail(['data', 'split'], `data.split.validation + data.split.test must leave rows to train on (sum < 1), got ${validation + test}`);
}

// ---- Reading a config -----------------------------------------------------------------

/**
 * `value` as a job config with every default filled in, section by section; or an error
 * naming `file` and the first bad field (a misspelt field before any other).
 */
export function parseJobConfig(value: unknown, file: string): JobConfig {
  const result = jobConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const first = issues.find((issue) => issue.code === 'unrecognized_keys') ?? issues[0];
  throw new Error(`${file}: ${withItemName(first.message, first.path, value)}`);
}

/** Puts the name of the task or feature at `path` (tasks[i], features[i]) into `message`. */
function withItemName(message: string, path: readonly PropertyKey[], config: unknown): string {
  if (!message.includes(ITEM_NAME)) return message;
  const [list, index] = path;
  const item = (config as Record<string, unknown> | null)?.[String(list)];
  const name = Array.isArray(item) && typeof index === 'number' ? (item[index] as { name?: unknown } | undefined)?.name : undefined;
  return message.split(ITEM_NAME).join(`'${String(name)}'`);
}

/** The main job: conversion `y` plus the profile attributes `housing` and `loan`, with the schema's defaults. */
export function defaultConfig(): JobConfig {
  return jobConfigSchema.parse({
    tasks: [
      { name: 'y', type: 'binary' },
      { name: 'housing', type: 'binary' },
      { name: 'loan', type: 'binary' },
    ],
  });
}

/** Reads a config file; its fields override the defaults section by section. */
export function loadConfig(file: string): JobConfig {
  let text: string;
  let raw: unknown;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read the config (${(e as Error).message})`);
  }
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: is not valid JSON (${(e as Error).message})`);
  }
  return parseJobConfig(raw, file);
}

/** Checks a config changed after loading (by command-line options, say). */
export function validateConfig(c: JobConfig, file = 'config'): void {
  parseJobConfig(c, file);
}

/** Whether the job trains single-task baselines. */
export function baselinesEnabled(c: JobConfig): boolean {
  return typeof c.baselines === 'object' ? c.baselines.enabled !== false : c.baselines !== false;
}

/** 'task.metric' split at the dot that leaves a known task name (task names may hold dots). */
export function parseMonitor(monitor: string, tasks: readonly string[]): { task: string; metric: string } | null {
  const dot = monitor.lastIndexOf('.');
  if (dot <= 0) return null;
  const task = monitor.slice(0, dot);
  return tasks.includes(task) ? { task, metric: monitor.slice(dot + 1) } : null;
}
