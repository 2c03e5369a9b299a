// Training steps, trunkline and PyTorch in alternation.
//
//   npm run bench:torch [-- --threads 1,2] [--rounds R] [--quick] [--verbose] [mlp|mmoe|tidy]
//
// Two steps written the same way in both libraries (bench/train-steps.bench.ts and
// bench/torch_worker.py): forward, losses, backward and an Adam step, trunkline's inside
// tidy().
//   mlp:  MLP 256-512-256 + heads of 1 and 10 outputs, MSE + cross-entropy, batch 512
//   mmoe: MMoE (trunkline's mtl.MMoE), 62 inputs, 4 experts 128-64, a softmax gate per
//         task, 3 towers 32-1, BCE each, batch 256
// A persistent PyTorch worker process and this process take turns, round after round,
// swapping who goes first and pausing between turns so neither side's threads still
// spin; each side's time is the median over a round's steps, each round gives a ratio
// (trunkline time / PyTorch time, below 1: trunkline faster), and the table shows the
// medians. Then the same trunkline MLP loop with and without tidy() (tensors left to the
// garbage collector), also alternating. PyTorch is never a dependency: without python3
// and torch the comparison says so and only the tidy case runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import * as tl from '../src/index.js';
import { nn } from '../src/index.js';
import { mlpStep, mmoeStep, type TrainStepCase } from './train-steps.bench.js';
import { medianOf, timeCalls } from './timing.js';
import { startPythonWorker, type PythonWorker } from './python-worker.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const verbose = args.includes('--verbose');
const threadCounts = (option('--threads') ?? '1,2').split(',').map(Number);
const rounds = Number(option('--rounds') ?? (quick ? 3 : 7));
const filters = args.filter((a, i) => !a.startsWith('--') && !['--threads', '--rounds'].includes(args[i - 1]));
const wanted = (key: string) => !filters.length || filters.some((f) => key.includes(f));


// ---- the PyTorch worker ---------------------------------------------------------------
// OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some machines for NumPy's bundled
// OpenBLAS) are left out of the worker's environment: PyTorch picks its own kernels.
const env = { ...process.env };
delete env.OPENBLAS_CORETYPE;
delete env.OPENBLAS_L2_SIZE;
const maxThreads = Math.max(...threadCounts);
for (const v of ['OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS']) env[v] = String(maxThreads);
// The first of $PYTHON, python3 and /usr/bin/python3 that imports torch (a pyenv or venv
// python3 on the PATH may lack the system's PyTorch).
const pythons = [...new Set([process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p))];
let started: PythonWorker | null = null;
for (const p of pythons) if ((started = await startPythonWorker(p, join(here, 'torch_worker.py'), env))) break;
const torchVersion = started?.version ?? null;
const ask = (line: string) => started!.ask(line);
if (!started) console.log(`bench:torch: none of ${pythons.join(', ')} imports torch, so the PyTorch comparison is skipped (PyTorch is optional).`);

let gemm: string;
try {
  const g = tl.gemmKernel();
  gemm = `${g.kernel} (${g.how})`;
} catch {
  gemm = 'unknown';
}
const isa = tl.getIsa();
console.log(
  `trunkline vs PyTorch ${torchVersion ?? '(absent)'}: ${cpus()[0]?.model ?? 'cpu'}, ISA ${isa.active}, gemm kernel ${gemm}, ` +
    `${rounds} alternating rounds, load average ${loadavg()[0].toFixed(1)}`,
);

const settle = (threads: number) => new Promise((resolve) => setTimeout(resolve, threads > 1 ? 300 : 20));
const repsFor = (seconds: number) => Math.max(5, Math.min(200, Math.round((quick ? 0.15 : 0.4) / Math.max(seconds, 1e-5))));

interface Row {
  case: string;
  threads: number;
  trunklineMs: number;
  torchMs: number | null;
  ratio: number | null;
  ratioMin: number | null;
  ratioMax: number | null;
}
const rows: Row[] = [];
const steps: [string, TrainStepCase<unknown>][] = [
  ['mlp', mlpStep as TrainStepCase<unknown>],
  ['mmoe', mmoeStep as TrainStepCase<unknown>],
];

if (torchVersion) {
  console.log(`${'case'.padEnd(6)} thr ${'trunkline ms'.padStart(13)} ${'torch ms'.padStart(9)} ${'ratio'.padStart(6)}  per-round range`);
  for (const threads of threadCounts) {
    tl.setNumThreads(threads);
    await ask(`threads ${threads}`);
    for (const [key, c] of steps) {
      if (!wanted(key)) continue;
      const state = c.setup();
      const fn = () => c.fn(state);
      for (let i = 0; i < 5; i++) fn();
      const reps = repsFor(timeCalls(fn, 5));
      await ask(`${key} 5`); // the worker's warm-up
      const ours: number[] = [], theirs: number[] = [], ratios: number[] = [];
      for (let r = 0; r < rounds; r++) {
        let a: number, b: number;
        if (r % 2 === 0) {
          a = timeCalls(fn, reps);
          await settle(threads);
          b = Number(await ask(`${key} ${reps}`));
        } else {
          b = Number(await ask(`${key} ${reps}`));
          await settle(threads);
          a = timeCalls(fn, reps);
        }
        await settle(threads);
        ours.push(a);
        theirs.push(b);
        ratios.push(a / b);
        if (verbose) console.log(`  round ${r}: trunkline ${(a * 1e3).toFixed(2)} ms, torch ${(b * 1e3).toFixed(2)} ms`);
      }
      const row: Row = {
        case: key,
        threads,
        trunklineMs: medianOf(ours) * 1e3,
        torchMs: medianOf(theirs) * 1e3,
        ratio: medianOf(ratios),
        ratioMin: Math.min(...ratios),
        ratioMax: Math.max(...ratios),
      };
      rows.push(row);
      console.log(
        `${key.padEnd(6)} ${String(threads).padStart(3)} ${row.trunklineMs.toFixed(2).padStart(13)} ${row.torchMs!.toFixed(2).padStart(9)} ${row.ratio!.toFixed(2).padStart(6)}x  ${row.ratioMin!.toFixed(2)}-${row.ratioMax!.toFixed(2)}`,
      );
    }
  }
  console.log('ratio: trunkline time / PyTorch time per step, the median over rounds (below 1: trunkline faster).');
}
started?.close();

// ---- the same trunkline loop without tidy() --------------------------------------------
// Without tidy every intermediate tensor and gradient is dropped undisposed, and its
// memory comes back only through the garbage collector.
const tidyRows: { threads: number; tidyMs: number; noTidyMs: number; ratio: number }[] = [];
if (wanted('tidy')) {
  for (const threads of threadCounts) {
    tl.setNumThreads(threads);
    const state = mlpStep.setup();
    const { model, opt, x, r, y } = state;
    const withTidy = () => mlpStep.fn(state);
    const withoutTidy = () => {
      const [v, logits] = model.forward(x);
      const loss = tl.add(nn.losses.mse(v, r), nn.losses.crossEntropy(logits, y));
      opt.zeroGrad();
      loss.backward();
      opt.step();
    };
    for (let i = 0; i < 20; i++) {
      withTidy();
      withoutTidy();
    }
    const reps = repsFor(timeCalls(withTidy, 5)) * 2;
    const a: number[] = [], b: number[] = [], ratios: number[] = [];
    for (let k = 0; k < rounds; k++) {
      // Mean, not median, per round: the garbage collector's pauses are part of the cost.
      const mean = (fn: () => void) => {
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) fn();
        return (performance.now() - t0) / reps;
      };
      let t: number, n: number;
      if (k % 2 === 0) {
        t = mean(withTidy);
        n = mean(withoutTidy);
      } else {
        n = mean(withoutTidy);
        t = mean(withTidy);
      }
      a.push(t);
      b.push(n);
      ratios.push(n / t);
    }
    const row = { threads, tidyMs: medianOf(a), noTidyMs: medianOf(b), ratio: medianOf(ratios) };
    tidyRows.push(row);
    console.log(`mlp loop, ${threads} thr: tidy ${row.tidyMs.toFixed(2)} ms/step, no tidy ${row.noTidyMs.toFixed(2)} ms/step, no-tidy / tidy ${row.ratio.toFixed(2)}x`);
  }
}

const dir = join(here, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `torch-steps-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0]?.model, isa, gemmKernel: gemm, torch: torchVersion, rounds, loadAverage: loadavg()[0], rows, tidyRows }, null, 2),
);
console.log(`wrote ${file}`);
