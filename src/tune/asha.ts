// Asynchronous successive halving (ASHA, Li et al. 2020) with rungs in epochs: rungs at
// minEpochs, minEpochs*eta, minEpochs*eta^2, ... below the config's epochs. When a trial
// ends a rung's epoch it records its objective there and goes on only if it is in the top
// 1/eta of the trials that have reached that rung so far; among fewer than eta trials, only
// the best so far goes on (as Optuna's pruner does, since a stopped trial is never resumed).
// Trial 0, the config as given, is never stopped: it is the reference of Δm. The rung
// records live in one file of the search directory, appended by the worker processes
// (O_APPEND: small lines are not interleaved), so every worker sees the others' trials.
import { appendFileSync, readFileSync } from 'node:fs';

export interface AshaSettings {
  /** The first rung, in epochs (default 1). */
  minEpochs: number;
  /** The reduction factor eta (default 3). */
  eta: number;
}

/** The rungs (epochs) below `maxEpochs`. */
export function rungs(s: AshaSettings, maxEpochs: number): number[] {
  const out: number[] = [];
  for (let r = s.minEpochs; r < maxEpochs; r *= s.eta) out.push(r);
  return out;
}

/** Whether `value` is in the top 1/eta of `competing` (which includes it); higher is better, NaN is the worst. */
export function promotable(value: number, competing: readonly number[], eta: number): boolean {
  if (!Number.isFinite(value)) return false;
  const sorted = competing.map((v) => (Number.isFinite(v) ? v : -Infinity)).sort((a, b) => b - a);
  const k = Math.max(0, Math.floor(sorted.length / eta) - 1);
  return value >= sorted[k];
}

export interface RungRecord {
  trial: number;
  rung: number;
  value: number;
}

/** The rung records of a search: one JSON line each; a trial run again replaces its earlier record. */
export class RungFile {
  constructor(readonly path: string) {}

  record(r: RungRecord): void {
    appendFileSync(this.path, `${JSON.stringify({ ...r, value: Number.isFinite(r.value) ? r.value : null })}\n`);
  }

  /** The latest value of each trial at `rung`. */
  valuesAt(rung: number): Map<number, number> {
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return new Map();
    }
    const out = new Map<number, number>();
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const r = JSON.parse(line) as RungRecord;
        if (r.rung === rung) out.set(r.trial, r.value ?? NaN);
      } catch {
        // a line cut short by a kill: ignore it
      }
    }
    return out;
  }

  /** Records `value` for `trial` at `rung` and says whether the trial goes on. */
  decide(trial: number, rung: number, value: number, eta: number): boolean {
    this.record({ trial, rung, value });
    if (trial === 0) return true;
    return promotable(value, [...this.valuesAt(rung).values()], eta);
  }
}
