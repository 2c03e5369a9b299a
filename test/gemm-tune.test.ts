// The gemm kernel's run-time choice across processes: the probe, the tuning cache under
// XDG_CACHE_HOME, and TRUNKLINE_TUNE=off|force. Each case runs in a child process, since
// the choice is made once per process.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativePath } from '../src/native.js';
import { tempDir } from './helpers/tmp.js';

interface Choice { kernel: string; how: string; candidates: { name: string; seconds: number }[] }

function child(env: Record<string, string>, version = '9.9.9'): Choice {
  const script = `const n = require(${JSON.stringify(nativePath)}); n.gemm_set_tune_version(${JSON.stringify(version)}); process.stdout.write(JSON.stringify(n.gemm_kernel_choice()))`;
  const clean = { ...process.env };
  delete clean.TRUNKLINE_TUNE;
  delete clean.TL_GEMM_KERNEL;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...clean, ...env } }).toString());
}

const first = child({ TRUNKLINE_TUNE: 'off', XDG_CACHE_HOME: tempDir() });
const several = first.candidates.length > 1;

test('TRUNKLINE_TUNE=off keeps the instruction set\'s default kernel and writes no cache', (t) => {
  const dir = tempDir();
  const out = child({ TRUNKLINE_TUNE: 'off', XDG_CACHE_HOME: dir });
  t.is(out.how, 'default');
  t.is(out.kernel, out.candidates[0].name);
  t.true(out.candidates.every((c) => c.seconds === 0));
  t.false(existsSync(join(dir, 'trunkline')));
});

test('the probe\'s answer is kept per CPU and version in the tuning cache; force probes again', (t) => {
  if (!several) return t.pass(); // one candidate (no AVX-512): nothing to choose
  const dir = tempDir();
  const file = join(dir, 'trunkline', 'gemm-kernels.tsv');
  const probed = child({ XDG_CACHE_HOME: dir });
  t.is(probed.how, 'probe');
  t.true(probed.candidates.every((c) => c.seconds > 0));
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  t.is(lines.length, 1);
  t.true(lines[0].endsWith(`\t${probed.kernel}`));
  t.true(lines[0].includes('|9.9.9|'), 'the key names the version');

  const cached = child({ XDG_CACHE_HOME: dir });
  t.deepEqual([cached.how, cached.kernel], ['cache', probed.kernel]);
  t.true(cached.candidates.every((c) => c.seconds === 0));

  t.is(child({ XDG_CACHE_HOME: dir, TRUNKLINE_TUNE: 'force' }).how, 'probe');
  t.is(readFileSync(file, 'utf8').trim().split('\n').length, 1, 'force replaces its line');

  // Another version probes and adds its own line.
  t.is(child({ XDG_CACHE_HOME: dir }, '10.0.0').how, 'probe');
  t.is(readFileSync(file, 'utf8').trim().split('\n').length, 2);
  t.is(child({ XDG_CACHE_HOME: dir }, '10.0.0').how, 'cache');

  // A line naming a kernel this build lacks is ignored and replaced.
  const text = readFileSync(file, 'utf8').replace(/\t[^\n]*\n/g, '\tavx9 1x1\n');
  writeFileSync(file, text);
  const redone = child({ XDG_CACHE_HOME: dir });
  t.is(redone.how, 'probe');
  t.is(child({ XDG_CACHE_HOME: dir }).how, 'cache');
});

test('a cache directory that cannot be created only means probing each time', (t) => {
  if (!several) return t.pass();
  const dir = tempDir();
  writeFileSync(join(dir, 'trunkline'), 'a file where the directory would go');
  t.is(child({ XDG_CACHE_HOME: dir }).how, 'probe');
  t.is(child({ XDG_CACHE_HOME: dir }).how, 'probe');
});

test('one candidate (AVX2 forced) needs no probe', (t) => {
  const dir = tempDir();
  const out = child({ XDG_CACHE_HOME: dir, TRUNKLINE_ISA: 'avx2' });
  t.is(out.how, out.candidates.length > 1 ? 'probe' : 'default');
  t.true(out.kernel.startsWith('avx2') || out.kernel.startsWith('portable'));
});
