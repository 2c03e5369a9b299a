// What a running server holds: its arms (each a model slot with a batcher), the router
// between them, the metrics and the feedback log.
import { ArmRouter, parseSplit, type ArmSpec } from './ab.js';
import { Arm } from './arm.js';
import { FeedbackLog } from './feedback-log.js';
import { ServedModel } from './model.js';
import type { ResolvedOptions } from './options.js';
import type { RowAnswer } from './outputs.js';
import { checkRows } from './rows.js';
import { ServeMetrics } from './serve-metrics.js';

export interface RoutedAnswer {
  arm: string;
  model: string;
  tasks: RowAnswer;
}

export class ServerState {
  readonly metrics = new ServeMetrics();
  readonly arms = new Map<string, Arm>();
  readonly router: ArmRouter;
  readonly weights: Map<string, number>;
  readonly feedback: FeedbackLog | null;
  /** /predict and /feedback requests received and not yet answered (the batcher's hint). */
  inFlight = 0;

  constructor(
    specs: readonly ArmSpec[],
    readonly options: ResolvedOptions,
  ) {
    const batching = { windowMs: options.batchWindowMs, maxBatchRows: options.maxBatchRows };
    for (const s of specs) {
      let model: ServedModel;
      try {
        model = ServedModel.load(s.path);
      } catch (e) {
        throw specs.length > 1 ? new Error(`arm '${s.name}': ${(e as Error).message}`) : e;
      }
      this.arms.set(s.name, new Arm(s.name, model, batching, this.metrics, () => this.inFlight));
    }
    this.weights = parseSplit(options.split, [...this.arms.keys()]);
    if (options.splitKey === undefined && this.arms.size > 1 && options.split)
      throw new Error('--split needs --split-key naming the column that keeps a user on one arm (e.g. --split-key user_id)');
    this.router = new ArmRouter(this.weights, options.splitKey);
    this.feedback = options.feedbackDir ? new FeedbackLog(options.feedbackDir) : null;
  }

  arm(name: string): Arm {
    const a = this.arms.get(name);
    if (!a) throw new Error(`no arm named '${name}' (arms: ${[...this.arms.keys()].join(', ')})`);
    return a;
  }

  /** Routes each row to its arm, runs every arm's share in that arm's next batch, answers in row order. */
  async predict(rows: readonly Record<string, unknown>[]): Promise<RoutedAnswer[]> {
    const started = performance.now();
    const byArm = new Map<string, number[]>();
    for (let i = 0; i < rows.length; i++) {
      const arm = this.router.route(rows[i]);
      let list = byArm.get(arm);
      if (!list) byArm.set(arm, (list = []));
      list.push(i);
    }
    const out: RoutedAnswer[] = new Array(rows.length);
    // Check every share first, so a bad row fails the request before any forward pass.
    const shares = [...byArm].map(([name, idx]) => {
      const arm = this.arm(name);
      const whole = idx.length === rows.length;
      return { arm, idx, block: whole ? checkRows(rows, arm.model.columns) : checkRows(idx.map((i) => rows[i]), arm.model.columns, idx) };
    });
    await Promise.all(
      shares.map(async ({ arm, idx, block }) => {
        const { answers, model } = await arm.predict(block);
        const labels = { arm: arm.name, model: model.id };
        this.metrics.armRequests.inc(labels);
        this.metrics.armLatency.observe(labels, (performance.now() - started) / 1000);
        for (let j = 0; j < idx.length; j++) out[idx[j]] = { arm: arm.name, model: model.id, tasks: answers[j] };
      }),
    );
    return out;
  }
}
