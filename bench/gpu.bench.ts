// GPU benchmark cases: matmul throughput (fp32 SIMT, TF32 and BF16 tensor cores) as a
// share of the card's peak, conv2d and softmax. Without a usable GPU every row is kept,
// with a null value and a note saying why, so reports stay comparable across machines.
// Exported as a plain array; bench/index.ts runs and prints them.
import { pathToFileURL } from 'node:url';
import * as tl from '../src/index.js';

export interface GpuBenchRow {
  name: string;
  /** null when the row could not run (see note). */
  value: number | null;
  unit: string;
  /** Share of the card's peak for this precision, when the peak is known. */
  percentOfPeak?: number | null;
  note?: string;
}

export interface GpuBenchCase {
  name: string;
  run(): GpuBenchRow[];
}

type PeakKind = 'fp32' | 'tf32' | 'bf16';

// Dense (non-sparse) peak TFLOP/s from the vendors' data sheets, matched on the name.
const PEAKS: [RegExp, Record<PeakKind, number>][] = [
  [/H200/, { fp32: 67, tf32: 494.7, bf16: 989.4 }],
  [/H100.*(PCIe)/i, { fp32: 51.2, tf32: 378, bf16: 756 }],
  [/H100/, { fp32: 67, tf32: 494.7, bf16: 989.4 }],
  [/A100/, { fp32: 19.5, tf32: 156, bf16: 312 }],
  [/L40S/, { fp32: 91.6, tf32: 183, bf16: 366 }],
  [/L4\b/, { fp32: 30.3, tf32: 60, bf16: 121 }],
  [/A10\b/, { fp32: 31.2, tf32: 62.5, bf16: 125 }],
  [/RTX 4090/, { fp32: 82.6, tf32: 82.6, bf16: 165.2 }],
];

function peakFor(kind: PeakKind): number | null {
  const name = tl.cuda.deviceName();
  for (const [re, p] of PEAKS) if (re.test(name)) return p[kind];
  return null;
}

function noGpuRows(names: string[], unit: string): GpuBenchRow[] {
  const note = `skipped: no GPU present (${tl.cuda.unavailableReason()})`;
  return names.map((name) => ({ name, value: null, unit, note }));
}

/** Seconds per call: warm-up, then enough repetitions for ~0.5 s, timed across a synchronize. */
function timeIt(fn: () => void): number {
  for (let i = 0; i < 2; i++) tl.tidy(fn);
  tl.cuda.synchronize();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) tl.tidy(fn);
    tl.cuda.synchronize();
    const s = (performance.now() - t0) / 1000;
    if (s > 0.5 || reps >= 1 << 14) return s / reps;
    reps *= s > 0.05 ? Math.ceil(0.5 / s) : 8;
  }
}

/** Runs `fn`, turning an op that is not there yet into a row with a note. */
function guardedRow(name: string, unit: string, fn: () => GpuBenchRow): GpuBenchRow {
  try {
    return fn();
  } catch (e) {
    return { name, value: null, unit, note: `failed: ${(e as Error).message}` };
  }
}

const MATMUL_SIZES = [1024, 4096, 8192];
const PRECISIONS: [tl.MatmulPrecision, PeakKind][] = [['highest', 'fp32'], ['high', 'tf32'], ['medium', 'bf16']];

const matmulCase: GpuBenchCase = {
  name: 'gpu matmul',
  run() {
    const names = PRECISIONS.flatMap(([p, k]) => MATMUL_SIZES.map((n) => `matmul ${n}^3 ${k} (${p})`));
    if (!tl.cuda.isAvailable()) return noGpuRows(names, 'TFLOP/s');
    const before = tl.cuda.getMatmulPrecision();
    const rows: GpuBenchRow[] = [];
    try {
      for (const [precision, kind] of PRECISIONS) {
        tl.cuda.setMatmulPrecision(precision);
        for (const n of MATMUL_SIZES) {
          const name = `matmul ${n}^3 ${kind} (${precision})`;
          rows.push(guardedRow(name, 'TFLOP/s', () => {
            const a = tl.randn([n, n], { device: 'cuda' });
            const b = tl.randn([n, n], { device: 'cuda' });
            const s = timeIt(() => tl.matmul(a, b));
            a.dispose();
            b.dispose();
            const tflops = (2 * n ** 3) / s / 1e12;
            const peak = peakFor(kind);
            return { name, value: tflops, unit: 'TFLOP/s', percentOfPeak: peak ? (100 * tflops) / peak : null,
              note: peak ? undefined : `peak of ${tl.cuda.deviceName()} unknown` };
          }));
        }
      }
    } finally {
      tl.cuda.setMatmulPrecision(before);
    }
    return rows;
  },
};

// ResNet-ish 3x3 layers, NCHW.
const CONV_SHAPES: [number, number, number, number][] = [[32, 64, 56, 64], [32, 256, 14, 256]]; // N, C, HW, O

const convCase: GpuBenchCase = {
  name: 'gpu conv2d',
  run() {
    const names = CONV_SHAPES.map(([n, c, hw, o]) => `conv2d 3x3 N${n} C${c} ${hw}x${hw} -> ${o}`);
    if (!tl.cuda.isAvailable()) return noGpuRows(names, 'TFLOP/s');
    return CONV_SHAPES.map(([n, c, hw, o], i) => guardedRow(names[i], 'TFLOP/s', () => {
      const x = tl.randn([n, c, hw, hw], { device: 'cuda' });
      const w = tl.randn([o, c, 3, 3], { device: 'cuda' });
      const s = timeIt(() => tl.conv2d(x, w, null, { padding: 1 }));
      x.dispose();
      w.dispose();
      const flops = 2 * n * o * hw * hw * c * 9;
      return { name: names[i], value: flops / s / 1e12, unit: 'TFLOP/s', note: `matmul precision ${tl.cuda.getMatmulPrecision()}` };
    }));
  },
};

const SOFTMAX_SHAPES: [number, number][] = [[4096, 1024], [1024, 32768]];

const softmaxCase: GpuBenchCase = {
  name: 'gpu softmax',
  run() {
    const names = SOFTMAX_SHAPES.map(([r, c]) => `softmax ${r}x${c} (last axis)`);
    if (!tl.cuda.isAvailable()) return noGpuRows(names, 'GB/s');
    return SOFTMAX_SHAPES.map(([r, c], i) => guardedRow(names[i], 'GB/s', () => {
      const x = tl.randn([r, c], { device: 'cuda' });
      const s = timeIt(() => tl.softmax(x, -1));
      x.dispose();
      // One read and one write of the tensor is the memory-bound ideal.
      return { name: names[i], value: (2 * 4 * r * c) / s / 1e9, unit: 'GB/s' };
    }));
  },
};

export const gpuBenchCases: GpuBenchCase[] = [matmulCase, convCase, softmaxCase];

/** Runs every case and prints one line per row (npx tsx bench/gpu.bench.ts). */
export function printGpuBench(): void {
  console.log(tl.cuda.isAvailable() ? `GPU: ${tl.cuda.deviceName()}` : `GPU: none (${tl.cuda.unavailableReason()})`);
  for (const c of gpuBenchCases)
    for (const r of c.run()) {
      const value = r.value === null ? 'skipped' : `${r.value.toFixed(2)} ${r.unit}`;
      const pct = r.percentOfPeak != null ? ` (${r.percentOfPeak.toFixed(1)}% of peak)` : '';
      console.log(`${r.name.padEnd(40)} ${value}${pct}${r.note ? `  ${r.note}` : ''}`);
    }
}

// bench/index.ts imports every *.bench.ts; only a direct run prints.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) printGpuBench();
