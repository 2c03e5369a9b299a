// The search: trial 0 is the config as given (the reference for Δm), trials 1.. are drawn
// by the sampler; a pool of worker processes trains them (multi-task model only, training
// split) and scores them on the validation split. Each finished trial is appended to
// trials.jsonl; a resumed search reloads those, draws the same parameters again and runs
// only the trials that are missing. At the end the Pareto front over the tasks and the best
// trial by the objective are chosen on validation, and only those (and trial 0) are then
// evaluated on the test split, once.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { multiTaskGain } from '../metrics/index.js';
import { validateConfig, type JobConfig } from '../cli/config.js';
import { rungs, type AshaSettings } from './asha.js';
import { front2d, paretoFront, type Point } from './pareto.js';
import { Pool } from './pool.js';
import { makeSampler, type Observation, type SearchKind } from './sampler.js';
import { applyParams, deriveSeed, getParam, parseSpace, showValue, type Params } from './space.js';
import { headlineValues, oriented, parseObjective, scalarise, taskObjectives, type TaskMetricValues, type TaskObjective } from './objective.js';
import { appendTrial, loadTrials } from './trials-log.js';
import type { TrialRecord, WorkerReply } from './trial.js';
import { renderTuneReport } from './report.js';

/** search.json: everything a resumed search needs to draw the same trials again. */
export interface SearchSettings {
  format: 'trunkline.tune';
  version: 1;
  createdAt: string;
  /** The job config the trials start from (trial 0 runs it unchanged). */
  config: JobConfig;
  configFile: string | null;
  /** The space file's contents, as read. */
  space: unknown;
  spaceFile: string;
  search: SearchKind;
  /** Trials in all, trial 0 included. */
  trials: number;
  parallel: number;
  /** TPE models trials 1..i-lag for trial i (the pool size when the search was started). */
  lag: number;
  asha: AshaSettings | null;
  objective: string;
  seed: number;
}

export interface TrialTest {
  trial: number;
  test: TaskMetricValues | null;
  error?: string;
}

export interface SearchOutcome {
  dir: string;
  trials: TrialRecord[];
  objectives: TaskObjective[];
  front: number[];
  best: number | null;
  /** Δm (%) of the best trial against trial 0 on validation, and on test. */
  deltaM: { validation: number | null; test: number | null };
  tests: TrialTest[];
  seconds: number;
}

/** The seed of trial i: from --seed and i, so every trial's initialisation and batch order differ and are reproducible. */
export function trialSeed(seed: number, trial: number): number {
  return deriveSeed(seed, trial, 7);
}

/** Δm (%) of `metrics` against `reference` over the tasks' headline metrics; null when either lacks one. */
export function deltaMAgainst(objectives: readonly TaskObjective[], metrics: TaskMetricValues | null, reference: TaskMetricValues | null): number | null {
  if (!metrics || !reference) return null;
  const a: TaskMetricValues = {};
  const b: TaskMetricValues = {};
  for (const o of objectives) {
    const m = metrics[o.task]?.[o.metric];
    const r = reference[o.task]?.[o.metric];
    if (!Number.isFinite(m) || !Number.isFinite(r) || r === 0) return null;
    a[o.task] = { [o.metric]: m };
    b[o.task] = { [o.metric]: r };
  }
  return multiTaskGain(a, b).deltaM;
}

export function describeParams(params: Params): string {
  return Object.entries(params).map(([k, v]) => `${k}=${showValue(v)}`).join(' ');
}

function describeMetrics(objectives: readonly TaskObjective[], metrics: TaskMetricValues | null): string {
  return objectives.map((o) => `${o.task} ${o.metric} ${(metrics?.[o.task]?.[o.metric] ?? NaN).toFixed(4)}`).join('  ');
}

export interface RunSearchArgs {
  dir: string;
  settings: SearchSettings;
  log: (line: string) => void;
}

export async function runSearch({ dir, settings, log }: RunSearchArgs): Promise<SearchOutcome> {
  const started = performance.now();
  const base = settings.config;
  const space = parseSpace(settings.space, base, settings.spaceFile);
  const objectives = taskObjectives(base);
  const weights = parseObjective(settings.objective, base.tasks.map((t) => t.name));
  const sampler = makeSampler(settings.search, { space, seed: settings.seed, lag: settings.lag });
  const total = Math.min(settings.trials, sampler.limit);
  if (total < settings.trials) log(`the grid has ${sampler.limit - 1} combinations: ${total} trials with trial 0`);
  const ashaRungs = settings.asha ? rungs(settings.asha, base.training.epochs) : [];
  const trialsPath = join(dir, 'trials.jsonl');
  const weightsDir = join(dir, 'weights');
  mkdirSync(weightsDir, { recursive: true });
  const finished = new Map<number, TrialRecord>(loadTrials(trialsPath).map((r) => [r.trial, r]));
  if (finished.size) log(`resuming: ${finished.size} finished trials in ${trialsPath}`);
  const splitSeed = base.training.seed;

  /** Trial i's parameters: trial 0 reads the config's own values. */
  const paramsOf = (trial: number): Params => {
    if (trial === 0) return Object.fromEntries(space.params.map((p) => [p.path, getParam(base, p.path)]));
    const history: Observation[] = [];
    for (let j = 1; j <= sampler.needs(trial); j++) {
      const r = finished.get(j)!;
      history.push({ trial: j, params: r.params, objective: r.objective ?? NaN });
    }
    return sampler.suggest(trial, history);
  };
  const ready = (trial: number) => {
    for (let j = 1; j <= sampler.needs(trial); j++) if (!finished.has(j)) return false;
    return true;
  };

  const pool = new Pool(settings.parallel);
  log(`${settings.search} search, ${total} trials (trial 0 = the config as given), ${settings.parallel} worker${settings.parallel > 1 ? 's' : ''} x ${pool.threads} thread${pool.threads > 1 ? 's' : ''}` +
    `${ashaRungs.length ? `, successive halving at epochs ${ashaRungs.join(', ')} (eta ${settings.asha!.eta})` : ''}; objective: ${settings.objective}; writing ${dir}/`);
  let interrupted: NodeJS.Signals | null = null;
  let fatal: string | null = null;
  const onSignal = (signal: NodeJS.Signals) => () => {
    if (interrupted) return;
    interrupted = signal;
    pool.kill();
  };
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const inFlight = new Map<number, Promise<void>>();
    const held: TrialRecord[] = [];
    const record = (r: TrialRecord) => {
      appendTrial(trialsPath, r);
      finished.set(r.trial, r);
      const tag = r.status === 'stopped' ? `stopped at epoch ${r.stoppedAt}` : r.status === 'failed' ? `failed: ${r.error}` : `${r.epochs} epochs`;
      log(`trial ${String(r.trial).padStart(String(total - 1).length)}  ${describeParams(r.params)}  |  ${r.validation ? describeMetrics(objectives, r.validation) : '-'}  |  objective ${r.objective === null ? '-' : r.objective.toFixed(4)}  ${r.seconds.toFixed(1)} s, ${tag}`);
    };
    const start = (trial: number) => {
      const params = paramsOf(trial);
      const seed = trialSeed(settings.seed, trial);
      const t0 = performance.now();
      const finish = (r: TrialRecord) => {
        if (interrupted || fatal) return;
        if (trial === 0 && r.status === 'failed') {
          // Every trial starts from this config: searching around one that cannot train is pointless.
          fatal = `trial 0 (the config as given) failed, so the search stops: ${r.error}`;
          pool.kill();
          return;
        }
        // A failure before trial 0 has finished may be the config's own (its data, say): held until trial 0 says.
        if (r.status === 'failed' && !finished.has(0)) {
          held.push(r);
          return;
        }
        record(r);
        if (trial === 0) for (const h of held.splice(0)) record(h);
      };
      let config: JobConfig;
      try {
        config = applyParams(base, params);
        validateConfig(config, `trial ${trial}`);
      } catch (e) {
        finish({ trial, params, seed, status: 'failed', epochs: 0, validation: null, objective: null, seconds: 0, error: (e as Error).message });
        return;
      }
      const job = pool
        .run({
          type: 'trial',
          trial,
          config,
          seed,
          splitSeed,
          weightsPath: join(weightsDir, `${trial}.safetensors`),
          asha: ashaRungs.length ? { rungs: ashaRungs, eta: settings.asha!.eta, file: join(dir, 'rungs.jsonl'), weights } : null,
        })
        .then((reply: WorkerReply) => {
          const seconds = (performance.now() - t0) / 1000;
          if (reply.type === 'trial')
            finish({
              trial,
              params,
              seed,
              status: reply.status,
              epochs: reply.epochs,
              ...(reply.stoppedAt !== undefined ? { stoppedAt: reply.stoppedAt } : {}),
              validation: reply.validation,
              objective: finiteOrNull(scalarise(objectives, weights, reply.validation)),
              seconds: reply.seconds,
            });
          else finish({ trial, params, seed, status: 'failed', epochs: 0, validation: null, objective: null, seconds, error: reply.type === 'error' ? reply.message : 'unexpected reply' });
        })
        .finally(() => inFlight.delete(trial));
      inFlight.set(trial, job);
    };
    let next = 0;
    while (!interrupted && !fatal) {
      while (inFlight.size < settings.parallel && next < total && !interrupted && !fatal) {
        if (finished.has(next)) next++;
        else if (ready(next)) start(next++);
        else break;
      }
      if (!inFlight.size) {
        if (next >= total) break;
        if (!ready(next)) throw new Error(`trial ${next} waits for trials that are not running (a bug in the search loop)`);
        continue;
      }
      await Promise.race(inFlight.values());
    }
    if (fatal) {
      await pool.exited();
      throw new Error(fatal);
    }
    if (interrupted) {
      await pool.exited();
      const sig: NodeJS.Signals = interrupted;
      log(`\ninterrupted (${sig}): ${finished.size} finished trials kept in ${trialsPath}; the trials in flight are lost. Resume with: trunkline tune --resume ${dir}`);
      process.exitCode = sig === 'SIGINT' ? 130 : 143;
      return { dir, trials: [...finished.values()], objectives, front: [], best: null, deltaM: { validation: null, test: null }, tests: [], seconds: (performance.now() - started) / 1000 };
    }

    // ---- The chosen trials, on validation; then on test, once. ----
    const trials = [...finished.values()].filter((r) => r.trial < total).sort((a, b) => a.trial - b.trial);
    const points: Point[] = trials.filter((r) => r.status !== 'failed').map((r) => ({ id: r.trial, values: oriented(objectives, headlineValues(objectives, r.validation)) }));
    const front = paretoFront(points);
    const ranked = trials.filter((r) => r.objective !== null && Number.isFinite(r.objective)).sort((a, b) => b.objective! - a.objective! || a.trial - b.trial);
    const best = ranked[0]?.trial ?? null;
    const reference = finished.get(0) ?? null;
    const chosen = [...new Set([0, ...(best === null ? [] : [best]), ...front])].filter((id) => finished.get(id)?.status !== 'failed' && existsSync(join(weightsDir, `${id}.safetensors`)));
    log(`\nPareto front on validation (${front.length} of ${points.length} trials): ${front.join(', ')}; best by the objective (${settings.objective}): trial ${best ?? '-'}`);
    log(`testing the chosen trials on the test split (${chosen.join(', ')}) ...`);
    const tests: TrialTest[] = await Promise.all(
      chosen.map(async (id) => {
        const config = applyParams(base, finished.get(id)!.params);
        const reply = await pool.run({ type: 'test', trial: id, config, splitSeed, weightsPath: join(weightsDir, `${id}.safetensors`) });
        return reply.type === 'test' ? { trial: id, test: reply.test } : { trial: id, test: null, error: reply.type === 'error' ? reply.message : 'unexpected reply' };
      }),
    );
    pool.close();
    const testOf = (id: number | null) => tests.find((t) => t.trial === id)?.test ?? null;
    const deltaM = {
      validation: best === null ? null : deltaMAgainst(objectives, finished.get(best)!.validation, reference?.validation ?? null),
      test: best === null ? null : deltaMAgainst(objectives, testOf(best), testOf(0)),
    };
    const outcome: SearchOutcome = { dir, trials, objectives, front, best, deltaM, tests, seconds: (performance.now() - started) / 1000 };
    writeOutputs(outcome, settings, log);
    return outcome;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    pool.close();
  }
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

const json = (v: unknown) => `${JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 1)}\n`;

/** A trial's full config, ready for `trunkline train --config`. */
export function trialConfig(settings: SearchSettings, r: TrialRecord): JobConfig {
  return applyParams(settings.config, r.params);
}

/** best-config.json, pareto/<trial>.json, summary.json and report.html; then the summary in the log. */
function writeOutputs(o: SearchOutcome, settings: SearchSettings, log: (line: string) => void): void {
  const { dir, objectives } = o;
  const byId = new Map(o.trials.map((r) => [r.trial, r]));
  if (o.best !== null) writeFileAtomic(join(dir, 'best-config.json'), json(trialConfig(settings, byId.get(o.best)!)));
  rmSync(join(dir, 'pareto'), { recursive: true, force: true });
  for (const id of o.front) writeFileAtomic(join(dir, 'pareto', `${id}.json`), json(trialConfig(settings, byId.get(id)!)));
  const testOf = (id: number) => o.tests.find((t) => t.trial === id)?.test ?? null;
  const chosen = o.tests.map((t) => ({
    trial: t.trial,
    roles: [...(t.trial === 0 ? ['config as given'] : []), ...(t.trial === o.best ? ['best'] : []), ...(o.front.includes(t.trial) ? ['front'] : [])],
    params: byId.get(t.trial)!.params,
    validation: byId.get(t.trial)!.validation,
    test: t.test,
    deltaM: {
      validation: deltaMAgainst(objectives, byId.get(t.trial)!.validation, byId.get(0)?.validation ?? null),
      test: deltaMAgainst(objectives, t.test, testOf(0)),
    },
    ...(t.error ? { error: t.error } : {}),
  }));
  writeFileAtomic(
    join(dir, 'summary.json'),
    json({
      format: 'trunkline.tune-summary',
      version: 1,
      seconds: o.seconds,
      objectives,
      objective: settings.objective,
      trials: o.trials.length,
      front: o.front,
      best: o.best,
      deltaM: o.deltaM,
      chosen,
    }),
  );
  writeFileAtomic(join(dir, 'report.html'), renderTuneReport(o, settings, chosen));

  const pct = (v: number | null) => (v === null ? '-' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}%`);
  log('\nchosen trials (validation during the search; test once, now):');
  for (const c of chosen)
    log(`  trial ${c.trial} (${c.roles.join(', ')}): validation ${describeMetrics(objectives, c.validation)}; test ${describeMetrics(objectives, c.test)}; Δm vs trial 0: validation ${pct(c.deltaM.validation)}, test ${pct(c.deltaM.test)}`);
  if (o.best !== null) log(`\nbest trial ${o.best}: ${describeParams(byId.get(o.best)!.params)}`);
  log(`Δm of the best trial against the config as given (trial 0): validation ${pct(o.deltaM.validation)}, test ${pct(o.deltaM.test)}`);
  const stopped = o.trials.filter((r) => r.status === 'stopped').length;
  const failed = o.trials.filter((r) => r.status === 'failed').length;
  log(`\nwrote ${dir}/ (trials.jsonl, search.json, best-config.json, pareto/, summary.json, report.html): ${o.trials.length} trials` +
    `${stopped ? `, ${stopped} stopped by successive halving` : ''}${failed ? `, ${failed} failed` : ''}, in ${o.seconds.toFixed(0)} s`);
}

export { front2d };
