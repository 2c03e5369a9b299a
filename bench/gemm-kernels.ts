// The gemm kernels this CPU can run, timed in alternation in one process:
//
//   node --import tsx bench/gemm-kernels.ts [--threads N] [--rounds R] [--kernels a,b] [filter...]
//
// Each round runs every kernel on the same inputs in turn (the order rotating), so a
// neighbour's load falls on all of them alike. Per kernel and case it prints the
// median GFLOP/s by wall clock and by process CPU time (per thread), and the median
// per-round ratio to the first kernel listed. For choosing and tuning kernels; the
// comparison with OpenBLAS is bench/side-by-side.ts.
import { loadavg } from 'node:os';
import * as tl from '../src/index.js';
import { native } from '../src/native.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const threads = Number(option('--threads') ?? 1);
const rounds = Number(option('--rounds') ?? 7);
const kernels: string[] = option('--kernels')?.split(',') ?? native.gemm_kernels().filter((k: string) => !k.startsWith('portable'));
const filters = args.filter((a, i) => !a.startsWith('--') && !['--threads', '--rounds', '--kernels'].includes(args[i - 1]));

const rand = (n: number) => new Float32Array(n).map(() => Math.random() - 0.5);
interface Case { name: string; m: number; n: number; k: number; ta: boolean; tb: boolean }
const CASES: Case[] = [
  ...[256, 512, 1024, 2048].map((s) => ({ name: `${s}^3`, m: s, n: s, k: s, ta: false, tb: false })),
  ...([[512, 256, 256], [4096, 1024, 1024]] as const).flatMap(([B, I, O]) => [
    { name: `X@W ${B}x${I}x${O}`, m: B, n: O, k: I, ta: false, tb: false },
    { name: `X^T@dY ${B}x${I}x${O}`, m: I, n: O, k: B, ta: true, tb: false },
    { name: `dY@W^T ${B}x${I}x${O}`, m: B, n: I, k: O, ta: false, tb: true },
  ]),
];
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

tl.setNumThreads(threads);
console.log(`gemm kernels, ${threads} thread(s), ${rounds} rounds, load average ${loadavg()[0].toFixed(1)}`);
for (const c of CASES.filter((c) => !filters.length || filters.some((f) => c.name.includes(f)))) {
  const a = rand(c.m * c.k), b = rand(c.k * c.n), out = new Float32Array(c.m * c.n);
  const call = () => native.gemm(c.ta, c.tb, c.m, c.n, c.k, 1, a, 0, c.ta ? c.m : c.k, b, 0, c.tb ? c.k : c.n, 0, out, 0, c.n);
  const flops = 2 * c.m * c.n * c.k;
  call();
  const t0 = performance.now();
  call();
  const reps = Math.max(2, Math.min(30, Math.round(0.15 / ((performance.now() - t0) / 1e3))));
  const wall: number[][] = kernels.map(() => []), cpu: number[][] = kernels.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let q = 0; q < kernels.length; q++) {
      const i = (q + r) % kernels.length;
      native.gemm_set_kernel(kernels[i]);
      call();
      const w0 = performance.now(), c0 = process.cpuUsage();
      for (let k = 0; k < reps; k++) call();
      const cu = process.cpuUsage(c0);
      wall[i].push((performance.now() - w0) / 1e3 / reps);
      cpu[i].push((cu.user + cu.system) / 1e6 / reps / threads);
    }
  }
  native.gemm_set_kernel('');
  console.log(`${c.name} (${reps} calls a turn)`);
  for (let i = 0; i < kernels.length; i++) {
    const ratio = median(wall[0].map((w, r) => w / wall[i][r]));
    const cratio = median(cpu[0].map((w, r) => w / cpu[i][r]));
    console.log(
      `  ${kernels[i].padEnd(24)} wall ${(flops / median(wall[i]) / 1e9).toFixed(1).padStart(6)} GF/s  cpu ${(flops / median(cpu[i]) / 1e9).toFixed(1).padStart(6)} GF/s  vs first: wall ${ratio.toFixed(3)} cpu ${cratio.toFixed(3)}`,
    );
  }
}
