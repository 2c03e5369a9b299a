// trials.jsonl: one line per finished trial, appended with one write and fsynced, so a
// killed search loses only the trials in flight. A line cut short by a kill mid-write is
// dropped (and the file rewritten without it, atomically) when the search is resumed.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import type { TrialRecord } from './trial.js';

/** The finished trials, first record of each trial id, in file order. */
export function loadTrials(path: string): TrialRecord[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  // Everything after the last newline was cut short.
  const complete = lines.slice(0, -1);
  if (lines[lines.length - 1] !== '') writeFileAtomic(path, complete.map((l) => `${l}\n`).join(''));
  const seen = new Set<number>();
  const out: TrialRecord[] = [];
  complete.forEach((line, i) => {
    if (!line.trim()) return;
    let r: TrialRecord;
    try {
      r = JSON.parse(line);
    } catch (e) {
      throw new Error(`${path} line ${i + 1}: not a trial record (${(e as Error).message})`);
    }
    if (seen.has(r.trial)) return;
    seen.add(r.trial);
    out.push(r);
  });
  return out;
}

/** Appends one trial as one line (NaN and infinities as null). */
export function appendTrial(path: string, r: TrialRecord): void {
  const line = `${JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`;
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
