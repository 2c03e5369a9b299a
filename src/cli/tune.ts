// `trunkline tune --space space.json`: a hyper-parameter search over the job config (see
// docs/tune.md). Checks every input before any trial starts, creates runs/<id>/ with
// search.json, and runs the search; `--resume runs/<id>` continues one.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { defaultConfig, loadConfig, parseJobConfig, validateConfig } from './config.js';
import { checkOutDir, timestamp } from './run-dir.js';
import { loadSpace, parseSpace } from '../tune/space.js';
import { SEARCHES, makeSampler, type SearchKind } from '../tune/sampler.js';
import { parseObjective } from '../tune/objective.js';
import { runSearch, type SearchOutcome, type SearchSettings } from '../tune/search.js';

export interface TuneArgs {
  config?: string;
  space?: string;
  data?: string;
  trials?: string;
  parallel?: string;
  search?: string;
  asha?: boolean;
  ashaMinEpochs?: string;
  ashaEta?: string;
  objective?: string;
  seed?: string;
  out: string;
  resume?: string;
  log: (line: string) => void;
  /** The machine's cores (default os.availableParallelism()). */
  cores?: number;
}

/** A whole number >= min from an option's text, or an error naming the option. */
function wholeNumber(value: string | undefined, option: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n)) throw new Error(`${option} must be a whole number, got '${value}'`);
  if (n < min) throw new Error(`${option} must be at least ${min}, got ${n}`);
  return n;
}

function checkParallel(parallel: number, cores: number): void {
  if (parallel > cores) throw new Error(`--parallel ${parallel} is more than this machine's ${cores} cores (os.availableParallelism()); each worker needs at least one`);
}

const SEARCH_FILE = 'search.json';

/** The settings of a new search, every input checked. */
export function newSearchSettings(args: TuneArgs): SearchSettings {
  const cores = args.cores ?? availableParallelism();
  const trials = wholeNumber(args.trials, '--trials', 1, 20);
  const parallel = wholeNumber(args.parallel, '--parallel', 1, 1);
  checkParallel(parallel, cores);
  const search = (args.search ?? 'random') as SearchKind;
  if (!SEARCHES.includes(search)) throw new Error(`--search must be ${SEARCHES.join(', ')}, got '${args.search}'`);
  const seed = args.seed === undefined ? 1 : Number(args.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got '${args.seed}'`);
  const config = args.config ? loadConfig(args.config) : defaultConfig();
  if (args.data) {
    config.data.path = args.data;
    if (!args.config) config.data.drop = [];
  }
  if (args.data && !args.config) throw new Error('tune --data needs --config naming the tasks (see README: "Your own data")');
  // The search trains the multi-task model only.
  validateConfig(config, args.config ?? 'command line');
  const { space, raw } = loadSpace(args.space!, config);
  // A grid with a continuous range fails here, before anything is written.
  makeSampler(search, { space, seed, lag: parallel });
  const objective = args.objective ?? 'mean';
  parseObjective(objective, config.tasks.map((t) => t.name));
  const asha = args.asha
    ? { minEpochs: wholeNumber(args.ashaMinEpochs, '--asha-min-epochs', 1, 1), eta: wholeNumber(args.ashaEta, '--asha-eta', 2, 3) }
    : null;
  if (!args.asha && (args.ashaMinEpochs !== undefined || args.ashaEta !== undefined)) throw new Error('--asha-min-epochs and --asha-eta need --asha');
  if (asha && asha.minEpochs >= config.training.epochs)
    throw new Error(`--asha-min-epochs ${asha.minEpochs} leaves no rung below training.epochs (${config.training.epochs})`);
  return {
    format: 'trunkline.tune',
    version: 1,
    createdAt: new Date().toISOString(),
    config,
    configFile: args.config ?? null,
    space: raw,
    spaceFile: args.space!,
    search,
    trials,
    parallel,
    lag: parallel,
    asha,
    objective,
    seed,
  };
}

/** A resumed search's settings from its search.json, with --trials and --parallel as given now. */
export function resumedSettings(args: TuneArgs): SearchSettings {
  const refused = (['config', 'space', 'data', 'search', 'asha', 'ashaMinEpochs', 'ashaEta', 'objective', 'seed'] as const).filter((k) => args[k] !== undefined && args[k] !== false);
  if (refused.length)
    throw new Error(`tune --resume keeps the search's settings (search.json); it takes --trials and --parallel only, not ${refused.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
  const file = join(args.resume!, SEARCH_FILE);
  if (!existsSync(file)) throw new Error(`--resume ${args.resume}: no ${SEARCH_FILE} there (not a search directory)`);
  let s: SearchSettings;
  try {
    s = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read the search settings (${(e as Error).message})`);
  }
  if (s.format !== 'trunkline.tune') throw new Error(`${file}: not a trunkline tune search (format ${JSON.stringify(s.format)})`);
  s.config = parseJobConfig(s.config, file);
  parseSpace(s.space, s.config, `${file} (space)`);
  s.trials = wholeNumber(args.trials, '--trials', 1, s.trials);
  s.parallel = wholeNumber(args.parallel, '--parallel', 1, s.parallel);
  checkParallel(s.parallel, args.cores ?? availableParallelism());
  return s;
}

/** A new, empty search directory under `out`: runs/tune-<timestamp>[-n]. */
function newSearchDir(out: string): string {
  mkdirSync(out, { recursive: true });
  const base = `tune-${timestamp()}`;
  for (let i = 1; ; i++) {
    const dir = join(out, i === 1 ? base : `${base}-${i}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

export async function runTune(args: TuneArgs): Promise<SearchOutcome> {
  let dir: string;
  let settings: SearchSettings;
  if (args.resume) {
    settings = resumedSettings(args);
    dir = args.resume;
  } else {
    settings = newSearchSettings(args);
    checkOutDir(args.out);
    dir = newSearchDir(args.out);
  }
  writeFileAtomic(join(dir, SEARCH_FILE), `${JSON.stringify(settings, null, 1)}\n`);
  try {
    return await runSearch({ dir, settings, log: args.log });
  } catch (e) {
    // A new search that failed before any trial finished leaves no directory behind.
    if (!args.resume && !existsSync(join(dir, 'trials.jsonl'))) rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
