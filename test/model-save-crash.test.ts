// Saving over a model directory is crash-safe as a pair: a process killed (SIGKILL) at a
// random moment of a save leaves the old model or the new one, loadable and consistent, and
// the next save leaves no litter.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tl from '../src/index.js';
import { loadModel, saveModel } from '../src/io/index.js';
import { tempDir } from './helpers/tmp.js';

const ROOT = join(import.meta.dirname, '..');
const SIZE = 1 << 18; // 1 MiB of float32: a save takes long enough to be killed inside it

function save(dir: string, k: number): void {
  saveModel(dir, { weights: { w: tl.full([SIZE], k) }, config: { k } });
}

/** Loads and checks that weights and config come from the same save. */
function loadConsistent(dir: string): number {
  const m = loadModel<{ k: number }>(dir);
  const w = m.weights.w.data();
  if (w[0] !== m.config.k || w[SIZE - 1] !== m.config.k) throw new Error(`weights of save ${w[0]} paired with config of save ${m.config.k}`);
  return m.config.k;
}

test('a save killed at a random moment leaves a loadable model, and the next save leaves no litter', async (t) => {
  const parent = tempDir();
  const dir = join(parent, 'model');
  save(dir, 0);
  const child = join(tempDir(), 'saver.ts');
  writeFileSync(
    child,
    `import * as tl from ${JSON.stringify(join(ROOT, 'src', 'index.ts'))};
import { saveModel } from ${JSON.stringify(join(ROOT, 'src', 'io', 'index.ts'))};
const dir = process.argv[2];
let k = Number(process.argv[3]);
process.stdout.write('ready\\n');
for (;;) { k++; saveModel(dir, { weights: { w: tl.full([${SIZE}], k) }, config: { k } }); }
`,
  );
  const seen = new Set<number>();
  let last = 0;
  for (let round = 0; round < 20; round++) {
    await new Promise<void>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', child, dir, String(round * 1000)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      p.on('error', reject);
      p.stdout.once('data', () => setTimeout(() => p.kill('SIGKILL'), 5 + Math.random() * 60));
      p.on('exit', () => resolve());
    });
    // The killed process is reaped: its litter belongs to a dead process now.
    last = loadConsistent(dir);
    seen.add(last);
  }
  t.log(`models found after the kills: ${[...seen].slice(0, 8).join(', ')}${seen.size > 8 ? ', ...' : ''}`);
  t.true(seen.size > 1, 'the killed processes did save models');
  save(dir, last + 1);
  t.is(loadConsistent(dir), last + 1);
  t.deepEqual(readdirSync(parent), ['model'], 'no litter after the next save');
});

test('a swap interrupted between its renames: load reads the old model, the next save restores order', (t) => {
  const parent = tempDir();
  const dir = join(parent, 'model');
  save(dir, 7);
  // As a process killed between `dir -> .old` and `.new -> dir` leaves it (pid 99999999 cannot exist).
  renameSync(dir, join(parent, '.model.old-99999999-0a0b'));
  mkdirSync(join(parent, '.model.new-99999999-0a0b'));
  writeFileSync(join(parent, '.model.new-99999999-0a0b', 'weights.safetensors'), 'half');
  t.is(loadConsistent(dir), 7);
  save(dir, 8);
  t.is(loadConsistent(dir), 8);
  t.deepEqual(readdirSync(parent), ['model']);
});

test('saveModel refuses a directory that holds other files, which the swap would remove', (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  t.throws(() => save(dir, 1), { message: /cannot save the model to .*: it holds other files \(notes\.txt\) that saving would remove/ });
  t.deepEqual(readdirSync(dir), ['notes.txt']);
});
