// Proves the node-gyp build of the same sources works: builds it (in CI, or when
// TRUNKLINE_TEST_GYP=1) and runs a small computation through it in a child process.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const wanted = process.env.CI === 'true' || process.env.TRUNKLINE_TEST_GYP === '1';
if (!wanted) {
  console.log('node-gyp build check: skipped (runs in CI or with TRUNKLINE_TEST_GYP=1)');
  process.exit(0);
}
const started = Date.now();
try {
  // node-gyp narrates every step on stderr; show it only when the build fails.
  execFileSync('npx', ['node-gyp', 'rebuild', '-j', 'max'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
} catch (e) {
  console.error(`node-gyp build check: the build failed\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  process.exit(1);
}
const addon = 'build/Release/trunkline.node';
if (!existsSync(addon)) {
  console.error(`node-gyp build check: ${addon} was not produced`);
  process.exit(1);
}
const script = `
  import * as tl from './dist/index.js';
  import { nativePath } from './dist/native.js';
  const a = tl.tensor([[1, 2], [3, 4]]);
  const out = tl.add(a, tl.tensor([10, 20])).data();
  if (out.join(',') !== '11,22,13,24') throw new Error('wrong result ' + out);
  console.log('loaded ' + nativePath);
`;
const log = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
  env: { ...process.env, TRUNKLINE_ADDON: addon },
  encoding: 'utf8',
});
console.log(`node-gyp build check: ok (${((Date.now() - started) / 1000).toFixed(0)} s), ${log.trim()}`);
