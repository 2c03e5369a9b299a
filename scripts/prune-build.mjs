// After `npm install` builds the addon: where trunkline is installed as a dependency (inside
// a node_modules folder), keep only the built addon and drop CMake's intermediates (objects,
// static libraries, caches: tens of MB). A clone keeps them for incremental rebuilds.
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (root.split(sep).includes('node_modules') || process.env.TRUNKLINE_PRUNE_BUILD === '1') {
  const build = join(root, 'build-cmake');
  for (const entry of readdirSync(build)) if (entry !== 'Release') rmSync(join(build, entry), { recursive: true, force: true });
  for (const entry of readdirSync(join(build, 'Release'))) if (entry !== 'trunkline.node') rmSync(join(build, 'Release', entry), { recursive: true, force: true });
  console.log('trunkline: kept build-cmake/Release/trunkline.node, removed the build intermediates');
}
