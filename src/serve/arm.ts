// One served model slot (an A/B arm, or the only model) and its micro-batcher. Swapping
// the slot's model takes effect at the next batch.
import { MicroBatcher, type BatcherOptions, type BatchResult } from './batcher.js';
import type { ServedModel } from './model.js';
import type { RowBlock } from './rows.js';
import type { ServeMetrics } from './serve-metrics.js';

export class Arm {
  readonly batcher: MicroBatcher;

  constructor(
    readonly name: string,
    public model: ServedModel,
    batching: BatcherOptions,
    private readonly metrics: ServeMetrics,
    /** Requests the server holds now that may bring rows to a batch. */
    inFlight: () => number = () => Infinity,
  ) {
    this.batcher = new MicroBatcher(() => this.model, batching, (m, rows, seconds) => {
      const labels = { arm: this.name, model: m.id };
      metrics.batchRows.observe(labels, rows);
      metrics.forward.observe(labels, seconds);
      metrics.rows.inc(labels, rows);
    }, inFlight);
    this.publishInfo();
  }

  predict(block: RowBlock): Promise<BatchResult> {
    return this.batcher.submit(block);
  }

  /** Serves `next` from the next batch on; returns the model it replaces. */
  swap(next: ServedModel): ServedModel {
    const previous = this.model;
    this.model = next;
    this.metrics.modelInfo.remove((l) => l.arm === this.name);
    this.publishInfo();
    return previous;
  }

  private publishInfo(): void {
    this.metrics.modelInfo.set({ arm: this.name, model: this.model.id, loaded_at: this.model.loadedAt.toISOString() }, 1);
  }
}
