// Run directories (runs/<timestamp>/): filled in a temporary twin that is renamed at the
// end, so an interrupted or failed run never leaves a half-written directory behind. The
// twin's name carries the process id (.<id>.<pid>.partial), so a later run can tell the
// litter of a killed run from a run still under way, and removes it.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { processAlive } from '../io/model.js';

export function timestamp(d = new Date()): string {
  return d.toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
}

const PARTIAL = /^\.(.+)\.(\d+)\.partial$/;

/** Removes temporary twins left by runs that were killed (their process is gone). */
export function removeStalePartials(outDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(outDir);
  } catch {
    return []; // not there, or not a directory
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = PARTIAL.exec(name);
    if (!m || processAlive(Number(m[2]))) continue;
    rmSync(join(outDir, name), { recursive: true, force: true });
    removed.push(join(outDir, name));
  }
  return removed;
}

/**
 * Checks up front that run directories can be written under `outDir` (it exists as a
 * writable directory, or can be created), so an unusable --out fails before any training.
 */
export function checkOutDir(outDir: string, option = '--out'): void {
  const abs = resolve(outDir);
  let existing = abs;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  const what = existing === abs ? outDir : `${outDir} (its parent ${existing})`;
  if (!statSync(existing).isDirectory()) throw new Error(`${option} ${outDir}: ${existing === abs ? 'exists and is not a directory' : `cannot be created: ${existing} is a file, not a directory`}`);
  try {
    // A real probe: permission bits say nothing about read-only file systems or root.
    rmdirSync(mkdtempSync(join(existing, '.trunkline-probe-')));
  } catch (e) {
    throw new Error(`${option} ${what} is not writable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** A new temporary twin for a run directory named after `base`; the final name is picked when it is published. */
export function claimRunDir(outDir: string, base = timestamp()): { base: string; tmpDir: string } {
  mkdirSync(outDir, { recursive: true });
  removeStalePartials(outDir);
  for (let i = 1; ; i++) {
    const tmpDir = join(outDir, `.${i === 1 ? base : `${base}-${i}`}.${process.pid}.partial`);
    try {
      mkdirSync(tmpDir);
      return { base, tmpDir };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/**
 * Renames a filled twin to the first free name `base`, `base-2`, ...: two runs that start in
 * the same second get distinct names, and the rename itself decides a tie.
 */
export function publishRunDir(outDir: string, base: string, tmpDir: string): string {
  for (let i = 1; ; i++) {
    const finalDir = join(outDir, i === 1 ? base : `${base}-${i}`);
    if (existsSync(finalDir)) continue;
    try {
      renameSync(tmpDir, finalDir);
      return finalDir;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    }
  }
}

/** Fills a new run directory through `fill(tmpDir)`, then publishes it; returns its path. */
export function writeRunDir(outDir: string, fill: (tmpDir: string) => void): string {
  const { base, tmpDir } = claimRunDir(outDir);
  try {
    fill(tmpDir);
    return publishRunDir(outDir, base, tmpDir);
  } catch (e) {
    rmSync(tmpDir, { recursive: true, force: true });
    throw e;
  }
}

/** JSON with NaN and infinities as null (JSON has no spelling for them). */
export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1));
}
