// trunkline and NumPy timed in alternation, for ratios that survive a shared machine.
//
//   npm run bench:numpy [-- --threads N] [--rounds R] [--quick] [--verbose] [filter...]
//
// Other tenants of these cores move every figure by 10-30% within seconds, so two
// tables taken a minute apart can disagree by more than the gap being measured. Here a
// NumPy worker process (bench/numpy_worker.py) and this process take turns on each case,
// round after round, swapping who goes first; each round gives one ratio, and the table
// shows the median ratio and its range. NumPy is never a dependency: without python3 and
// numpy the script says so and exits.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import * as tl from '../src/index.js';
import { native } from '../src/native.js';
import { medianOf, timeCalls } from './timing.js';
import { startPythonWorker, type PythonWorker } from './python-worker.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const quick = args.includes('--quick');
const verbose = args.includes('--verbose'); // print every round
const threads = option('--threads', tl.getNumThreads());
const rounds = option('--rounds', quick ? 3 : 7);
const filters = args.filter((a, i) => !a.startsWith('--') && !['--threads', '--rounds'].includes(args[i - 1]));

interface Case {
  name: string;
  /** The worker's name for it: kind:dims. */
  numpy: string;
  flops?: number;
  bytes?: number;
  /** Builds inputs once and returns the call to time. */
  setup: () => () => void;
}

const rand = (n: number) => new Float32Array(n).map(() => Math.random() - 0.5);

// C = op(A) op(B) as the worker computes it: t 0 = A@B, 1 = A^T@B, 2 = A@B^T.
function gemmCase(name: string, m: number, n: number, k: number, t: 0 | 1 | 2): Case {
  return {
    name,
    numpy: `gemm:${m}x${n}x${k}x${t}`,
    flops: 2 * m * n * k,
    setup: () => {
      const a = rand(m * k), b = rand(k * n), c = new Float32Array(m * n);
      const ta = t === 1, tb = t === 2;
      return () => native.gemm(ta, tb, m, n, k, 1, a, 0, ta ? m : k, b, 0, tb ? k : n, 0, c, 0, n);
    },
  };
}

const CASES: Case[] = [
  ...[256, 512, 1024, 2048].map((s) => gemmCase(`matmul ${s}^3`, s, s, s, 0)),
  ...([[512, 256, 256], [4096, 1024, 1024]] as const).flatMap(([B, I, O]) => [
    gemmCase(`mlp X@W    ${B}x${I}x${O}`, B, O, I, 0),
    gemmCase(`mlp X^T@dY ${B}x${I}x${O}`, I, O, B, 1),
    gemmCase(`mlp dY@W^T ${B}x${I}x${O}`, B, I, O, 2),
  ]),
  {
    name: 'softmax 4096x1000',
    numpy: 'softmax:4096x1000',
    bytes: 2 * 4 * 4096 * 1000,
    setup: () => {
      const x = tl.randn([4096, 1000]).keep();
      return () => tl.softmax(x, -1).dispose();
    },
  },
  {
    name: 'add 4096x1000',
    numpy: 'add:4096x1000',
    bytes: 3 * 4 * 4096 * 1000,
    setup: () => {
      const a = tl.randn([4096, 1000]).keep(), b = tl.randn([4096, 1000]).keep();
      return () => tl.add(a, b).dispose();
    },
  },
];


// ---- the NumPy worker -------------------------------------------------------------------
const env = { ...process.env };
for (const v of ['OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS']) env[v] = String(threads);
const started = await startPythonWorker('python3', join(here, 'numpy_worker.py'), env);
if (!started) {
  console.log('side-by-side: python3 with numpy is not available here; nothing to compare (NumPy is optional).');
  process.exit(0);
}
const worker: PythonWorker = started;
const numpyVersion = worker.version;
async function numpySeconds(name: string, reps: number): Promise<number> {
  const line = await worker.ask(`${name} ${reps}`);
  if (Number.isNaN(Number(line))) throw new Error(`numpy worker failed on ${name}: ${line}`);
  return Number(line);
}

// ---- rounds ---------------------------------------------------------------------------------
tl.setNumThreads(threads);
const chosen = CASES.filter((c) => !filters.length || filters.some((f) => c.name.includes(f)));
// The gemm kernel in use and how it was chosen (an addon built before the choice existed names the kernel only).
let gemm: string;
try {
  const g = tl.gemmKernel();
  gemm = `${g.kernel} (${g.how})`;
} catch {
  gemm = native.gemm_kernel_name();
}
console.log(`trunkline vs NumPy ${numpyVersion}, ${threads} thread(s), ${rounds} alternating rounds, load average ${loadavg()[0].toFixed(1)}, gemm kernel ${gemm}`);
// OpenBLAS's threads keep spinning for a fraction of a second after a call (ours for
// 50 us): timing one side right after the other's multi-threaded turn measured the
// first with a core taken (small products read half speed). A pause lets both go idle.
const settle = () => new Promise((resolve) => setTimeout(resolve, threads > 1 ? 300 : 0));
const rate = (c: Case, s: number) => (c.flops ? c.flops / s / 1e9 : c.bytes! / s / 1e9);
const unit = (c: Case) => (c.flops ? 'GFLOP/s' : 'GB/s');
const rows = [];
console.log(`${'case'.padEnd(28)} ${'trunkline'.padStart(10)} ${'numpy'.padStart(10)} unit      ${'ratio'.padStart(6)}  per-round range`);
for (const c of chosen) {
  const fn = c.setup();
  fn();
  const once = timeCalls(fn, 1);
  const reps = Math.max(3, Math.min(40, Math.round((quick ? 0.1 : 0.3) / Math.max(once, 1e-6))));
  const ours: number[] = [], theirs: number[] = [], ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let a: number, b: number;
    if (r % 2 === 0) {
      a = timeCalls(fn, reps);
      await settle();
      b = await numpySeconds(c.numpy, reps);
    } else {
      b = await numpySeconds(c.numpy, reps);
      await settle();
      a = timeCalls(fn, reps);
    }
    await settle();
    ours.push(a);
    theirs.push(b);
    ratios.push(b / a); // > 1: trunkline faster
    if (verbose) console.log(`  round ${r}: trunkline ${rate(c, a).toFixed(1)}, numpy ${rate(c, b).toFixed(1)}`);
  }
  const row = {
    name: c.name,
    unit: unit(c),
    trunkline: rate(c, medianOf(ours)),
    numpy: rate(c, medianOf(theirs)),
    ratio: medianOf(ratios),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
  };
  rows.push(row);
  console.log(
    `${c.name.padEnd(28)} ${row.trunkline.toFixed(1).padStart(10)} ${row.numpy.toFixed(1).padStart(10)} ${row.unit.padEnd(8)} ${row.ratio.toFixed(2).padStart(6)}x  ${row.ratioMin.toFixed(2)}-${row.ratioMax.toFixed(2)}`,
  );
}
worker.close();
console.log('ratio: NumPy time / trunkline time, the median over rounds (above 1: trunkline faster).');

const dir = join(here, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `side-by-side-${threads}t-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), threads, rounds, numpy: numpyVersion, gemmKernel: gemm, loadAverage: loadavg()[0], rows }, null, 2));
console.log(`wrote ${file}`);
