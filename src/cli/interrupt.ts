// Ctrl-C during `trunkline train`. Training runs synchronously, so a SIGINT handler in the
// training process would never run until training ended. Instead the command runs itself
// as a child and supervises it: the child dies at once on SIGINT (the default), and the
// parent, idle, restores the terminal (the progress bar hides the cursor and turns line
// wrap off), removes the child's half-written run directory, says what was kept, and exits
// with 130 (143 for SIGTERM).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { removeStalePartials } from './run-dir.js';

const CHILD_ENV = 'TRUNKLINE_SUPERVISED';
/** Show the cursor, turn line wrap back on (what cli-progress switched off). */
const RESTORE_TERMINAL = '\x1b[?25h\x1b[?7h';

function listRuns(outDir: string): Set<string> {
  try {
    return new Set(readdirSync(outDir).filter((n) => !n.startsWith('.')));
  } catch {
    return new Set(); // not there (yet), or not a directory: the child says so
  }
}

/**
 * Runs this command again as a supervised child and resolves with its exit code, or with
 * null when this process is that child (and should do the work itself).
 */
export async function superviseChild(outDir: string, log: (s: string) => void): Promise<number | null> {
  if (process.env[CHILD_ENV] === '1') return null;
  const before = listRuns(outDir);
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [CHILD_ENV]: '1' },
  });
  let signalled: NodeJS.Signals | null = null;
  const forward = (signal: NodeJS.Signals) => () => {
    // From a terminal the child got the signal too; from `kill`, only this process did.
    signalled ??= signal;
    child.kill(signal);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c, s) => resolve([c, s]));
  });
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  const stopped = signalled ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? signal : null);
  if (!stopped) return code ?? 1;
  if (process.stdout.isTTY) process.stdout.write(`${RESTORE_TERMINAL}\n`);
  const removed = removeStalePartials(outDir);
  const published = [...listRuns(outDir)].filter((n) => !before.has(n));
  const kept = published.length
    ? `the run had finished writing: ${published.map((n) => join(outDir, n)).join(', ')} is complete and kept`
    : removed.length
      ? `removed the half-written ${removed.join(', ')}; nothing else was written`
      : 'nothing was written';
  log(`\ninterrupted (${stopped}): ${kept}`);
  return stopped === 'SIGINT' ? 130 : 143;
}
