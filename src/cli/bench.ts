// `trunkline bench`: the benchmark suite lives in bench/ (a dev checkout); this finds it.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export async function runBenchCli(args: string[]): Promise<void> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const entry = join(root, 'bench', 'index.ts');
  if (!existsSync(entry)) throw new Error(`bench: ${entry} not found (the benchmark suite ships with the source checkout)`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}
