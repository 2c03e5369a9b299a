// Temp directories for file tests, removed when the test process exits.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'trunkline-test-'));
  dirs.push(d);
  return d;
}

/** Writes `content` to a new file `name` in a fresh temp dir and returns its path. */
export function tempFile(name: string, content: string | Uint8Array): string {
  const p = join(tempDir(), name);
  writeFileSync(p, content);
  return p;
}
