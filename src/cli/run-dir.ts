// Run directories (runs/<timestamp>/): filled in a temporary twin that is renamed at the
// end, so an interrupted or failed run never leaves a half-written directory behind.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function timestamp(d = new Date()): string {
  return d.toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
}

/**
 * A run directory name that is not taken yet (two quick runs can start in the same second),
 * and its temporary twin, which is created here so a concurrent run cannot pick it too.
 */
export function claimRunDir(outDir: string): { finalDir: string; tmpDir: string } {
  mkdirSync(outDir, { recursive: true });
  const base = timestamp();
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}-${i}`;
    const finalDir = join(outDir, name);
    const tmpDir = join(outDir, `.${name}.partial`);
    if (existsSync(finalDir)) continue;
    try {
      mkdirSync(tmpDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    return { finalDir, tmpDir };
  }
}

/** Fills a new run directory through `fill(tmpDir)`, then publishes it; returns its path. */
export function writeRunDir(outDir: string, fill: (tmpDir: string) => void): string {
  const { finalDir, tmpDir } = claimRunDir(outDir);
  try {
    fill(tmpDir);
    renameSync(tmpDir, finalDir);
  } catch (e) {
    rmSync(tmpDir, { recursive: true, force: true });
    throw e;
  }
  return finalDir;
}

/** JSON with NaN and infinities as null (JSON has no spelling for them). */
export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1));
}
