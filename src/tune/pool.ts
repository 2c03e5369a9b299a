// A pool of worker processes (child_process.fork of worker.ts/.js) that run jobs one at a
// time each. Every worker gets floor(cores / size) native threads, so the pool does not
// oversubscribe the machine. A worker that dies fails its job and is replaced.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerJob, WorkerReply } from './trial.js';

/** worker.js next to this module (worker.ts when run from source through tsx). */
const WORKER = fileURLToPath(new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

interface Slot {
  child: ChildProcess;
  busy: { job: WorkerJob; resolve: (r: WorkerReply) => void } | null;
}

export class Pool {
  readonly threads: number;
  private slots: Slot[] = [];
  private waiting: { job: WorkerJob; resolve: (r: WorkerReply) => void }[] = [];
  private closed = false;

  constructor(readonly size: number, cores = availableParallelism()) {
    this.threads = Math.max(1, Math.floor(cores / size));
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const child = fork(WORKER, [], {
      env: { ...process.env, TRUNKLINE_NUM_THREADS: String(this.threads) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const slot: Slot = { child, busy: null };
    child.on('message', (reply: WorkerReply) => {
      const busy = slot.busy;
      slot.busy = null;
      busy?.resolve(reply);
      this.dispatch();
    });
    child.on('exit', (code, signal) => {
      const busy = slot.busy;
      slot.busy = null;
      // The job it had fails; a dead worker of an open pool is replaced.
      busy?.resolve({ type: 'error', trial: busy.job.trial, message: `the worker process exited (${signal ?? `code ${code}`})` });
      if (this.closed) return;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = this.spawn();
      this.dispatch();
    });
    return slot;
  }

  /** Runs a job on the next free worker. */
  run(job: WorkerJob): Promise<WorkerReply> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    return new Promise((resolve) => {
      this.waiting.push({ job, resolve });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!this.waiting.length) return;
      if (slot.busy || !slot.child.connected) continue;
      const next = this.waiting.shift()!;
      slot.busy = next;
      slot.child.send(next.job);
    }
  }

  /** Ends every worker: idle ones by closing their channel, busy ones by SIGTERM. */
  close(): void {
    this.closed = true;
    for (const s of this.slots) {
      if (s.busy) s.child.kill('SIGTERM');
      else if (s.child.connected) s.child.disconnect();
    }
  }

  /** Ends every worker at once (Ctrl-C). */
  kill(): void {
    this.closed = true;
    for (const s of this.slots) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
  }

  /** Resolves when every worker has exited. */
  async exited(): Promise<void> {
    await Promise.all(this.slots.map((s) => (s.child.exitCode !== null || s.child.signalCode !== null ? null : new Promise((r) => s.child.once('exit', r)))));
  }
}
