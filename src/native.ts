// Loads the compiled addon. The cmake-js build (npm install) lands in build-cmake/,
// a node-gyp build in build/; TRUNKLINE_ADDON points at any other .node file.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

function addonPath(): string {
  const fromEnv = process.env.TRUNKLINE_ADDON;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`TRUNKLINE_ADDON points at ${fromEnv}, which does not exist`);
    return resolve(fromEnv);
  }
  const candidates = [
    join(packageRoot, 'build-cmake', 'Release', 'trunkline.node'),
    join(packageRoot, 'build', 'Release', 'trunkline.node'),
  ];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(
    `trunkline's native addon is not built (looked for ${candidates.join(' and ')}). ` +
      'Run `npm install` (cmake-js) or `npx node-gyp rebuild` in the package folder.',
  );
}

/** A buffer a kernel reads or writes: host memory, or a device allocation. */
export type KernelBuffer = Float32Array | Int32Array | object;

/**
 * The native kernel table. Every kernel takes outputs first, then inputs, then sizes,
 * and accepts host or device buffers alike (all of one call on one device).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KernelTable = Record<string, (...args: any[]) => any>;

export const native: KernelTable = require(addonPath());
export const nativePath = addonPath();
