// The search space of `trunkline tune --space space.json`: which config fields to vary and
// over what. Keys are dotted paths into the job config (`training.lr`, `model.hidden`,
// `tasks.<name>.weight`); values are a list of choices, or `{ "range": [lo, hi] }`
// (uniform), `{ "log": [lo, hi] }` (log-uniform), `{ "int": [lo, hi] }` (integers, both
// ends included). Parsing checks everything before any trial starts, naming the field.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Generator } from '../tensor/random.js';
import { validateConfig, type JobConfig } from '../cli/config.js';

export type ParamSpec =
  | { kind: 'choice'; values: unknown[] }
  | { kind: 'range'; lo: number; hi: number }
  | { kind: 'log'; lo: number; hi: number }
  | { kind: 'int'; lo: number; hi: number };

export interface Param {
  /** The dotted path as written in the space file. */
  path: string;
  spec: ParamSpec;
}

export interface Space {
  params: Param[];
}

/** One point of the space: path -> value. */
export type Params = Record<string, unknown>;

/** Config fields a search may vary (the job config's own names), and what each takes. */
const TUNABLE: Record<string, 'number' | 'integer' | 'layers' | 'name'> = {
  'training.lr': 'number',
  'training.batchSize': 'integer',
  'training.weighting': 'name',
  'training.epochs': 'integer',
  'training.patience': 'integer',
  'model.architecture': 'name',
  'model.embeddingDim': 'integer',
  'model.idDropout': 'number',
  'model.hidden': 'layers',
  'model.expertHidden': 'layers',
  'model.towerHidden': 'layers',
  'model.experts': 'integer',
  'model.taskExperts': 'integer',
  'model.levels': 'integer',
};
/** Per-task fields, as `tasks.<name>.<field>`. */
const TUNABLE_TASK: Record<string, 'number' | 'layers'> = {
  weight: 'number',
  posWeight: 'number',
  towerHidden: 'layers',
};

export const TUNABLE_PATHS = [...Object.keys(TUNABLE), ...Object.keys(TUNABLE_TASK).map((f) => `tasks.<name>.${f}`)];

const pair = z.tuple([z.number(), z.number()]);
const valueSchema = z.union([
  z.array(z.unknown()),
  z.strictObject({ range: pair }),
  z.strictObject({ log: pair }),
  z.strictObject({ int: pair }),
]);
const spaceSchema = z.record(z.string(), z.unknown());

/** A task path split into its task name and field, or null. Task names may hold dots. */
function taskPath(path: string): { task: string; field: string } | null {
  if (!path.startsWith('tasks.')) return null;
  const dot = path.lastIndexOf('.');
  if (dot <= 'tasks.'.length) return null;
  return { task: path.slice('tasks.'.length, dot), field: path.slice(dot + 1) };
}

/** What a path takes, or an error naming it. */
function kindOf(path: string, config: JobConfig, where: string): 'number' | 'integer' | 'layers' | 'name' {
  const tp = taskPath(path);
  if (tp) {
    const names = config.tasks.map((t) => t.name);
    if (!names.includes(tp.task)) throw new Error(`${where}: '${path}': the config has no task '${tp.task}' (tasks: ${names.join(', ')})`);
    const k = TUNABLE_TASK[tp.field];
    if (!k) throw new Error(`${where}: unknown parameter '${path}' (a task takes ${Object.keys(TUNABLE_TASK).join(', ')})`);
    return k;
  }
  const k = TUNABLE[path];
  if (!k) throw new Error(`${where}: unknown parameter '${path}' (known: ${TUNABLE_PATHS.join(', ')})`);
  return k;
}

/** The value at a dotted path of a config (undefined when unset). */
export function getParam(config: JobConfig, path: string): unknown {
  const tp = taskPath(path);
  if (tp) return (config.tasks.find((t) => t.name === tp.task) as Record<string, unknown> | undefined)?.[tp.field];
  const [section, field] = path.split('.');
  return (config as unknown as Record<string, Record<string, unknown>>)[section]?.[field];
}

/** A deep copy of `config` with `params` set. */
export function applyParams(config: JobConfig, params: Params): JobConfig {
  const out = structuredClone(config);
  for (const [path, value] of Object.entries(params)) {
    const tp = taskPath(path);
    if (tp) {
      const task = out.tasks.find((t) => t.name === tp.task) as Record<string, unknown> | undefined;
      if (!task) throw new Error(`'${path}': the config has no task '${tp.task}'`);
      task[tp.field] = value;
    } else {
      const [section, field] = path.split('.');
      (out as unknown as Record<string, Record<string, unknown>>)[section][field] = value;
    }
  }
  return out;
}

/** A value as it reads in messages and tables. */
export function showValue(v: unknown): string {
  if (v === undefined) return '(default)';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Checks a parsed space file against the job config: every key a tunable field of the
 * config, every range non-empty and ordered, task weights >= 0, log ranges above 0, and
 * every choice (and both ends of every range) a value the config accepts.
 */
export function parseSpace(raw: unknown, config: JobConfig, where = 'space'): Space {
  const top = spaceSchema.safeParse(raw);
  if (!top.success || raw === null || Array.isArray(raw)) throw new Error(`${where}: the space must be a JSON object of "path": values`);
  const params: Param[] = [];
  for (const [path, value] of Object.entries(top.data)) {
    const kind = kindOf(path, config, where);
    const parsed = valueSchema.safeParse(value);
    const at = `${where}: '${path}'`;
    if (!parsed.success)
      throw new Error(`${at} must be a list of choices, { "range": [lo, hi] }, { "log": [lo, hi] } or { "int": [lo, hi] }, got ${JSON.stringify(value)}`);
    let spec: ParamSpec;
    const v = parsed.data;
    if (Array.isArray(v)) {
      if (v.length === 0) throw new Error(`${at}: the list of choices is empty`);
      spec = { kind: 'choice', values: v };
    } else {
      const [name, [lo, hi]] = Object.entries(v)[0] as ['range' | 'log' | 'int', [number, number]];
      if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error(`${at}: ${name} bounds must be finite numbers, got [${lo}, ${hi}]`);
      if (lo > hi) throw new Error(`${at}: ${name} [${lo}, ${hi}] is empty (lo > hi)`);
      if (kind === 'layers' || kind === 'name')
        throw new Error(`${at} takes a list of choices (${kind === 'layers' ? 'layer widths such as [[64, 32], [128]]' : 'names'}), not a ${name}`);
      if (name === 'int') {
        if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new Error(`${at}: int bounds must be integers, got [${lo}, ${hi}]`);
      } else if (kind === 'integer') throw new Error(`${at} is a whole number: use { "int": [lo, hi] } or a list, not ${name}`);
      if (name === 'log' && lo <= 0) throw new Error(`${at}: a log range needs lo > 0, got [${lo}, ${hi}]`);
      if (name === 'range' && lo === hi) throw new Error(`${at}: range [${lo}, ${hi}] is empty (lo = hi); give the value as a one-item list`);
      if (taskPath(path)?.field === 'weight' && lo < 0) throw new Error(`${at}: a task weight cannot be below zero, got [${lo}, ${hi}]`);
      spec = { kind: name, lo, hi };
    }
    // Every choice, and both ends of a range, must make a valid config on its own.
    const probes = spec.kind === 'choice' ? spec.values : [spec.lo, spec.hi];
    for (const probe of probes) {
      if (taskPath(path)?.field === 'weight' && typeof probe === 'number' && probe < 0) throw new Error(`${at}: a task weight cannot be below zero, got ${probe}`);
      try {
        validateConfig(applyParams(config, { [path]: probe }), 'config');
      } catch (e) {
        throw new Error(`${at}: ${showValue(probe)} is not a valid value (${(e as Error).message})`);
      }
    }
    params.push({ path, spec });
  }
  if (!params.length) throw new Error(`${where}: the space is empty: name at least one parameter (known: ${TUNABLE_PATHS.join(', ')})`);
  return { params };
}

/** Reads and checks a space file. */
export function loadSpace(file: string, config: JobConfig): { space: Space; raw: unknown } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as NodeJS.ErrnoException).code ? `cannot read the space (${(e as Error).message})` : `is not valid JSON (${(e as Error).message})`}`);
  }
  return { space: parseSpace(raw, config, file), raw };
}

/** Whether a parameter takes finitely many values (the grid can list them). */
export function isDiscrete(spec: ParamSpec): boolean {
  return spec.kind === 'choice' || spec.kind === 'int';
}

/** The values of a discrete parameter, in order. */
export function discreteValues(spec: ParamSpec): unknown[] {
  if (spec.kind === 'choice') return spec.values;
  if (spec.kind === 'int') return Array.from({ length: spec.hi - spec.lo + 1 }, (_, i) => spec.lo + i);
  throw new Error(`a ${spec.kind} range has no finite list of values`);
}

/** One value drawn uniformly (log-uniformly for log ranges). */
export function sampleValue(spec: ParamSpec, rng: Generator): unknown {
  switch (spec.kind) {
    case 'choice':
      return spec.values[rng.int(0, spec.values.length)];
    case 'range':
      return roundInRange(spec.lo + rng.uniform() * (spec.hi - spec.lo), spec.lo, spec.hi);
    case 'log':
      return roundInRange(Math.exp(Math.log(spec.lo) + rng.uniform() * (Math.log(spec.hi) - Math.log(spec.lo))), spec.lo, spec.hi);
    case 'int':
      return rng.int(spec.lo, spec.hi + 1);
  }
}

/** A continuous value to 4 significant digits (configs stay readable), kept within [lo, hi]. */
export function roundInRange(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Number(x.toPrecision(4))));
}

/** A point drawn uniformly from the space. */
export function samplePoint(space: Space, rng: Generator): Params {
  const out: Params = {};
  for (const p of space.params) out[p.path] = sampleValue(p.spec, rng);
  return out;
}

/** A well-mixed 31-bit seed from a base seed and any number of integers (trial ids, streams). */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  for (const p of [...parts, parts.length]) {
    h = Math.imul(h ^ (Math.floor(p) >>> 0), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h & 0x7fffffff;
}

/** A generator for trial `trial`'s draws of stream `stream` (independent of every other trial's). */
export function trialRng(seed: number, trial: number, stream = 0): Generator {
  return new Generator(deriveSeed(seed, trial, stream));
}
