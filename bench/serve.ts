// npm run bench:serve [-- --model runs/<id>] [--duration 5] [--epochs 2]
//
// `trunkline serve` under load: autocannon against a Bank Marketing MMoE model at 1, 16
// and 64 connections with 1-row and 32-row requests, beside a plain baseline measured in
// the same run (the same model's predictRows in a loop: features and forward, no HTTP).
// The server runs in its own process, as in production; autocannon shares the machine
// with it, so on a small machine the client's CPU is part of what is measured.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadBankMarketing } from '../src/data/index.js';
import { ServedModel } from '../src/serve/model.js';

const ROOT = join(import.meta.dirname, '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const TSX = import.meta.resolve('tsx');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const duration = Number(arg('duration') ?? 5);
const epochs = arg('epochs') ?? '2';
const windowMs = arg('window-ms') ?? '1';
const only = arg('only'); // e.g. 1x16: one setting (rows x connections)
const settings: { connections: number; rows: number }[] = [];
for (const rows of [1, 32]) for (const connections of [1, 16, 64]) if (!only || only.split(',').includes(`${rows}x${connections}`)) settings.push({ connections, rows });

function runCli(args: string[], onLine?: (s: string) => void): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d) => onLine?.(String(d)));
    child.on('error', reject);
    child.on('close', resolve);
  });
}

async function trainedModel(): Promise<{ dir: string; cleanup: () => void }> {
  const given = arg('model');
  if (given) return { dir: given, cleanup: () => {} };
  const out = mkdtempSync(join(tmpdir(), 'trunkline-bench-serve-'));
  console.log(`training a Bank Marketing MMoE (${epochs} epochs, no baselines) into ${out} ...`);
  const code = await runCli(['train', '--arch', 'mmoe', '--epochs', epochs, '--no-baselines', '--no-progress', '--out', out]);
  if (code !== 0) throw new Error(`training failed (exit ${code})`);
  return { dir: join(out, readdirSync(out)[0]), cleanup: () => rmSync(out, { recursive: true, force: true }) };
}

/** Raw rows of the bank data as a client sends them: numbers as numbers, strings as strings. */
async function bankRows(n: number, columns: readonly string[]): Promise<Record<string, unknown>[]> {
  const table = await loadBankMarketing();
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const row: Record<string, unknown> = {};
    for (const c of columns) {
      const col = table.column(c);
      row[c] = col.type === 'numeric' ? col.values[i] : table.cell(i, c);
    }
    rows.push(row);
  }
  return rows;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** predictRows in a loop for `seconds`: rows/s and per-call p50/p99 in ms. */
function baseline(model: ServedModel, rows: Record<string, unknown>[], seconds: number) {
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) model.predictRows(rows); // warm-up
  while (performance.now() < end) {
    const s = performance.now();
    model.predictRows(rows);
    times.push(performance.now() - s);
    done += rows.length;
  }
  const elapsed = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  return { rowsPerSecond: done / elapsed, p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
}

/** The part of autocannon's result used here (the package ships no types). */
interface CannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
  timeouts: number;
}

function cannon(url: string, body: string, connections: number, seconds: number): Promise<CannonResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: `${url}/predict`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration: seconds, pipelining: 1 },
      (err: Error | null, result: CannonResult) => (err ? reject(err) : resolve(result)),
    );
  });
}

async function main(): Promise<void> {
  const { dir, cleanup } = await trainedModel();
  try {
    const model = ServedModel.load(dir);
    const columns = model.columns.map((c) => c.column);
    const rows = await bankRows(256, columns);
    console.log(`model ${model.id} (${model.describe().architecture}), ${columns.length} input columns; ${cpus().length} CPUs: ${cpus()[0]?.model}`);

    console.log(`\nbaseline (same model, predictRows in a loop, no HTTP, ${duration} s each):`);
    const base = new Map<number, ReturnType<typeof baseline>>();
    for (const n of process.argv.includes('--no-baseline') ? [] : [1, 32]) {
      const b = baseline(model, rows.slice(0, n), duration);
      base.set(n, b);
      console.log(`  ${String(n).padStart(2)} rows/call: ${Math.round(b.rowsPerSecond).toLocaleString('en-US')} rows/s, p50 ${b.p50.toFixed(3)} ms, p99 ${b.p99.toFixed(3)} ms`);
    }

    let url = '';
    const server = spawn(process.execPath, ['--import', TSX, MAIN, 'serve', '--model', dir, '--port', '0', '--batch-window-ms', windowMs], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`the server did not start:\n${out}`)), 60_000);
        server.stdout.on('data', (d) => {
          out += d;
          const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
      });
      const bodies = new Map([1, 32].map((n) => [n, JSON.stringify({ rows: rows.slice(0, n) })]));
      console.log(`\ntrunkline serve (${url}, ${windowMs} ms batch window), autocannon ${duration} s per setting after a 1 s warm-up:`);
      console.log('  rows/req  connections   requests/s       rows/s   p50 ms   p99 ms   errors+non-2xx');
      const results: { rows: number; connections: number; rowsPerSecond: number; p50: number; p99: number; bad: number }[] = [];
      for (const s of settings) {
        await cannon(url, bodies.get(s.rows)!, s.connections, 1);
        const r = await cannon(url, bodies.get(s.rows)!, s.connections, duration);
        const rps = r.requests.average;
        const bad = r.errors + r.non2xx + r.timeouts;
        results.push({ rows: s.rows, connections: s.connections, rowsPerSecond: rps * s.rows, p50: r.latency.p50, p99: r.latency.p99, bad });
        console.log(
          `  ${String(s.rows).padStart(8)}  ${String(s.connections).padStart(11)}  ${rps.toFixed(0).padStart(11)}  ${Math.round(rps * s.rows).toLocaleString('en-US').padStart(11)}  ${r.latency.p50.toFixed(2).padStart(7)}  ${r.latency.p99.toFixed(2).padStart(7)}   ${bad}`,
        );
      }
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const batches = Number(/trunkline_batch_rows_count\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? NaN);
      const batchRows = Number(/trunkline_batch_rows_sum\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? NaN);
      console.log(`\n${batches} forward passes, ${(batchRows / batches).toFixed(1)} rows each on average (micro-batching)`);
      const goal32 = results.find((r) => r.rows === 32 && r.connections === 16);
      const goal1 = results.find((r) => r.rows === 1 && r.connections === 16);
      if (goal32 && goal1) console.log(`goals: 32-row requests at 16 connections ${Math.round(goal32.rowsPerSecond).toLocaleString('en-US')} rows/s (goal >= 20,000); 1-row requests at 16 connections p99 ${goal1.p99.toFixed(2)} ms (goal < 10 ms)`);
    } finally {
      server.kill('SIGTERM');
    }
  } finally {
    cleanup();
  }
}

await main();
