// The architecture's arrows point down only: no runtime import cycle anywhere in src/, and
// src/tensor imports nothing above it (the op methods are attached from src/ops). Type-only
// imports are erased by tsc and do not count.
import test from 'ava';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Each file's runtime imports of other files in src/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pattern = /^(?:import|export)\s+(?!type\b)(?:[^'";]*?\bfrom\s+)?['"](\.[^'"]+)['"]/gm;
  for (const file of files(src)) {
    const targets: string[] = [];
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) {
      const target = resolve(dirname(file), m[1].replace(/\.js$/, '.ts'));
      if (existsSync(target)) targets.push(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

test('src/ has no runtime import cycle', (t) => {
  const graph = importGraph();
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]): void => {
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].map((f) => relative(src, f)).join(' -> '));
      else if (!state.has(next)) visit(next, [...path, next]);
    }
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
  t.true(graph.size > 100, `${graph.size} files read`);
  t.deepEqual(cycles, []);
});

test('src/tensor imports nothing above it', (t) => {
  const outside = [...importGraph()]
    .filter(([file]) => relative(src, file).startsWith('tensor/'))
    .flatMap(([file, targets]) => targets.filter((x) => !relative(src, x).startsWith('tensor/')).map((x) => `${relative(src, file)} -> ${relative(src, x)}`));
  t.deepEqual(outside, []);
});
