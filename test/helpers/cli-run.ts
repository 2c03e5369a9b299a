// Runs the built CLI (dist/cli/main.js) as a user does, and checks clean failures.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in `cwd`; `onSpawn` sees the child (to signal it, say). */
export function cli(args: string[], cwd: string, onSpawn?: (child: ChildProcess, output: { stdout: string }) => void): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd });
    const out = { stdout: '' };
    let stderr = '';
    child.stdout.on('data', (d) => (out.stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out.stdout, stderr }));
    onSpawn?.(child, out);
  });
}

/** A clean failure: exit 1, the message matches, one short message and no stack trace. */
export function assertCleanFailure(t: ExecutionContext, r: Result, message: RegExp): void {
  t.is(r.code, 1, `exit code (stdout: ${r.stdout} stderr: ${r.stderr})`);
  t.regex(r.stderr, message);
  t.notRegex(r.stderr, /^\s+at /m, 'no stack trace');
  t.true(r.stderr.trim().split('\n').length <= 3, `a short message, got:\n${r.stderr}`);
}
