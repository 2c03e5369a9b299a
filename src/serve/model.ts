// A saved run loaded for serving: the model, its fitted feature pipeline and what
// /model reports about it. predictBlocks runs one forward pass over several requests'
// rows, in eval mode, without autograd, freeing every tensor it made.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gatherBatch } from '../data/index.js';
import { predict } from '../mtl/index.js';
import { tidy } from '../tensor/scope.js';
import { loadRun, type LoadedRun } from '../cli/saved.js';
import { blocksToTable } from './batch-table.js';
import { answersFor, type RowAnswer } from './outputs.js';
import { checkRows, inputColumns, type InputColumn, type RowBlock } from './rows.js';

export class ServedModel {
  /** The run directory's name (runs/<id>): names the model in answers, logs and metrics. */
  readonly id: string;
  readonly loadedAt = new Date();
  readonly columns: InputColumn[];
  /** metrics.json of the run, when there is one. */
  readonly trainingMetrics: unknown;

  private constructor(readonly run: LoadedRun) {
    const runDir = basename(run.dir) === 'model' ? dirname(run.dir) : run.dir;
    this.id = basename(runDir);
    this.columns = inputColumns(run.pipeline);
    const metricsPath = join(runDir, 'metrics.json');
    this.trainingMetrics = existsSync(metricsPath) ? JSON.parse(readFileSync(metricsPath, 'utf8')) : null;
    run.model.eval();
  }

  /** Loads a run directory (runs/<id>) or its model/ directory; throws naming what is wrong. */
  static load(path: string): ServedModel {
    return new ServedModel(loadRun(path));
  }

  get pipeline() {
    return this.run.pipeline;
  }

  /** One forward pass over the blocks' rows; the answers in block order. */
  predictBlocks(blocks: readonly RowBlock[]): RowAnswer[][] {
    // Blocks checked for another model (queued across a hot swap) are checked again for this one.
    blocks = blocks.map((b) => (b.columns === this.columns ? b : checkRows(b.rows, this.columns)));
    const table = blocksToTable(blocks, this.columns);
    const n = table.numRows;
    const outputs = tidy(() => {
      const encoded = this.run.pipeline.transform(table, { labels: 'none' });
      const rows = new Int32Array(n);
      for (let i = 0; i < n; i++) rows[i] = i;
      return predict(this.run.model, gatherBatch(encoded, rows).inputs);
    });
    const specs = this.run.pipeline.taskSpecs;
    const out: RowAnswer[][] = [];
    let start = 0;
    for (const b of blocks) {
      out.push(answersFor(outputs, n, specs, start, b.size));
      start += b.size;
    }
    return out;
  }

  /** Predictions for raw rows (as in the training CSV), without HTTP or batching. */
  predictRows(rows: readonly Record<string, unknown>[]): RowAnswer[] {
    if (rows.length === 0) return [];
    return this.predictBlocks([checkRows(rows, this.columns)])[0];
  }

  /** What GET /model says. */
  describe(): Record<string, unknown> {
    const { config, pipeline } = this.run;
    return {
      id: this.id,
      dir: this.run.dir,
      loadedAt: this.loadedAt.toISOString(),
      architecture: config.architecture,
      model: config.job.model,
      tasks: pipeline.taskSpecs.map((t) => ({ name: t.name, type: t.type, ...(t.classes ? { classes: t.classes } : {}) })),
      features: pipeline.features.map((f) => ({ name: f.name, column: f.column, kind: f.kind })),
      trainingMetrics: this.trainingMetrics,
    };
  }
}
