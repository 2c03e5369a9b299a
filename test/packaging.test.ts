// What a user installing trunkline from npm gets: the built addon without CMake's
// intermediates, source maps that carry their sources, examples written against the
// package's own name.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers/tmp.js';

const ROOT = join(import.meta.dirname, '..');

test('nothing silent (packaging): installed as a dependency, only the built addon is left in build-cmake', (t) => {
  const pkg = join(tempDir(), 'node_modules', 'trunkline');
  mkdirSync(join(pkg, 'scripts'), { recursive: true });
  copyFileSync(join(ROOT, 'scripts', 'prune-build.mjs'), join(pkg, 'scripts', 'prune-build.mjs'));
  mkdirSync(join(pkg, 'build-cmake', 'CMakeFiles', 'objs'), { recursive: true });
  mkdirSync(join(pkg, 'build-cmake', 'Release'), { recursive: true });
  for (const f of ['build-cmake/libtrunkline_kernels.a', 'build-cmake/CMakeCache.txt', 'build-cmake/CMakeFiles/objs/a.o', 'build-cmake/Release/trunkline.node', 'build-cmake/Release/trunkline.exp'])
    writeFileSync(join(pkg, f), 'x');
  execFileSync(process.execPath, [join(pkg, 'scripts', 'prune-build.mjs')], { env: { ...process.env, TRUNKLINE_PRUNE_BUILD: '' } });
  t.deepEqual(readdirSync(join(pkg, 'build-cmake')), ['Release']);
  t.deepEqual(readdirSync(join(pkg, 'build-cmake', 'Release')), ['trunkline.node']);
});

test('nothing silent (packaging): a clone keeps its build tree for incremental rebuilds', (t) => {
  const repo = join(tempDir(), 'trunkline');
  mkdirSync(join(repo, 'scripts'), { recursive: true });
  copyFileSync(join(ROOT, 'scripts', 'prune-build.mjs'), join(repo, 'scripts', 'prune-build.mjs'));
  mkdirSync(join(repo, 'build-cmake', 'Release'), { recursive: true });
  writeFileSync(join(repo, 'build-cmake', 'CMakeCache.txt'), 'x');
  execFileSync(process.execPath, [join(repo, 'scripts', 'prune-build.mjs')], { env: { ...process.env, TRUNKLINE_PRUNE_BUILD: '' } });
  t.true(existsSync(join(repo, 'build-cmake', 'CMakeCache.txt')));
});

const MAP = join(ROOT, 'dist', 'index.js.map');
if (!existsSync(MAP)) console.log('packaging: source-map test skipped: dist/ is not built (npm test runs tsc first)');
(existsSync(MAP) ? test : test.skip)('nothing silent (packaging): the shipped source maps carry their sources', (t) => {
  const json = JSON.parse(readFileSync(MAP, 'utf8'));
  t.true(Array.isArray(json.sourcesContent) && json.sourcesContent.every((s: unknown) => typeof s === 'string' && s.length > 0));
});

test('nothing silent (packaging): the examples import trunkline by its package name', (t) => {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.ts')) files.push(join(dir, e.name));
    }
  };
  walk(join(ROOT, 'examples'));
  t.true(files.length > 0);
  for (const f of files) t.notRegex(readFileSync(f, 'utf8'), /from ['"](\.\.\/)+src\//, `${f} imports the package's sources by path`);
});
