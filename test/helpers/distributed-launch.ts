// Starting test processes alone or as ranks of mpirun, for the distributed tests
// (test/distributed*.test.ts, test/sharded-input.test.ts); and whether this machine can.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { distributed } from '../../src/index.js';
import { nativePath } from '../../src/native.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const HELPERS = join(ROOT, 'test', 'helpers');
/** The CLI's entry point, run through tsx (no build needed). */
export const CLI_MAIN = join(ROOT, 'src', 'cli', 'main.ts');

const mpirunFound = spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).status === 0;
const mpiBuild = distributed.nativeComm() !== null;
/** Why the tests under mpirun cannot run here; '' when they can. */
export const skipReason = !mpirunFound
  ? 'mpirun not found (apt-get install openmpi-bin libopenmpi-dev, then rebuild the addon)'
  : !mpiBuild
    ? `the addon (${nativePath}) was built without MPI; rebuild it with MPI installed (npx cmake-js compile -O build-cmake)`
    : '';

/** A serial test under mpirun, or a skipped one naming why. */
export const mpiTest = (title: string, body: Parameters<typeof test.serial>[1]) =>
  skipReason ? test.skip(`${title} (skipped: ${skipReason})`, () => {}) : test.serial(title, body);

export interface Done {
  code: number | null;
  signal: string | null;
  output: string;
  seconds: number;
}

/**
 * `node --import tsx <script> ...args` (a helper's name or an absolute path), alone (np 0)
 * or as np ranks of mpirun; `watch` sees the output so far and the launched process's id
 * after each chunk.
 */
export function launch(np: number, script: string, args: string[], timeoutMs = 60_000, extraEnv: NodeJS.ProcessEnv = {}, watch?: (output: string, pid: number) => void): Promise<Done> {
  const node = [process.execPath, '--import', 'tsx', script.startsWith('/') ? script : join(HELPERS, script), ...args];
  const [cmd, ...argv] = np ? ['mpirun', '--allow-run-as-root', '--oversubscribe', '-np', String(np), '-x', 'TRUNKLINE_ADDON', '-x', 'TRUNKLINE_NUM_THREADS', ...Object.keys(extraEnv).flatMap((k) => ['-x', k]), ...node] : node;
  // One kernel thread per rank: the ranks share the machine's cores.
  // Containers often forbid the cross-process memory copy Open MPI's shared-memory transport
  // tries first; plain copies work everywhere.
  const env: NodeJS.ProcessEnv = { ...process.env, TRUNKLINE_ADDON: nativePath, TRUNKLINE_NUM_THREADS: '1', OMPI_MCA_btl_vader_single_copy_mechanism: 'none', ...extraEnv };
  for (const k of Object.keys(env)) if (/^(OMPI_COMM|PMI_|PMIX_|SLURM_)/.test(k)) delete env[k];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: ROOT, env, timeout: timeoutMs, killSignal: 'SIGKILL' });
    let output = '';
    const add = (d: Buffer): void => {
      output += d;
      watch?.(output, child.pid!);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output, seconds: (performance.now() - started) / 1000 }));
  });
}

/** The process id of rank `rank` among mpirun's (process `mpirun`) children, or null while there is none. */
export function rankPid(mpirun: number, rank: number): number | null {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) !== mpirun) continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`OMPI_COMM_WORLD_RANK=${rank}`)) return Number(name);
    } catch {
      // the process ended while we looked
    }
  }
  return null;
}
