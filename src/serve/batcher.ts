// Micro-batching: requests that arrive within a short window (or until a row limit) run
// as one forward pass. The model is read from its slot when a batch starts, so a hot swap
// takes effect between batches and a batch always finishes on the model it started with.
import type { RowAnswer } from './outputs.js';
import type { RowBlock } from './rows.js';
import type { ServedModel } from './model.js';

export interface BatcherOptions {
  /** How long the first request of a batch may wait for others, in milliseconds (0: until the current I/O is handled). */
  windowMs: number;
  /** A batch runs as soon as it holds this many rows. */
  maxBatchRows: number;
}

export interface BatchResult {
  answers: RowAnswer[];
  model: ServedModel;
}

interface Pending {
  block: RowBlock;
  resolve: (r: BatchResult) => void;
  reject: (e: unknown) => void;
}

export class MicroBatcher {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;

  constructor(
    /** The model serving now; read at the start of each batch. */
    private readonly current: () => ServedModel,
    private readonly options: BatcherOptions,
    /** Called after each batch (metrics). */
    private readonly onBatch: (model: ServedModel, rows: number, seconds: number) => void = () => {},
    /**
     * Requests the server holds that may still join a batch. When every one of them is
     * already queued, waiting longer gains nothing: the batch runs as soon as the current
     * I/O is handled, so a lone request pays no window.
     */
    private readonly inFlight: () => number = () => Infinity,
  ) {}

  submit(block: RowBlock): Promise<BatchResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ block, resolve, reject });
      this.queuedRows += block.size;
      if (this.queuedRows >= this.options.maxBatchRows) this.flush();
      else if (this.options.windowMs === 0 || this.queue.length >= this.inFlight()) this.immediate ??= setImmediate(() => this.flush());
      else this.timer ??= setTimeout(() => this.flush(), this.options.windowMs);
    });
  }

  /** Runs everything queued now, in batches of at most maxBatchRows (a larger request runs alone). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    while (this.queue.length) {
      const batch: Pending[] = [];
      let rows = 0;
      while (this.queue.length && (batch.length === 0 || rows + this.queue[0].block.size <= this.options.maxBatchRows)) {
        const p = this.queue.shift()!;
        batch.push(p);
        rows += p.block.size;
      }
      this.queuedRows -= rows;
      this.run(batch, rows);
    }
  }

  private run(batch: Pending[], rows: number): void {
    const model = this.current();
    const t0 = performance.now();
    let answers: RowAnswer[][];
    try {
      answers = model.predictBlocks(batch.map((p) => p.block));
    } catch (e) {
      // One request's rows must not fail the others: retry each on its own.
      if (batch.length === 1) batch[0].reject(e);
      else for (const p of batch) this.run([p], p.block.size);
      return;
    }
    this.onBatch(model, rows, (performance.now() - t0) / 1000);
    for (let i = 0; i < batch.length; i++) batch[i].resolve({ answers: answers[i], model });
  }
}
