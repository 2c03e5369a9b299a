// The feedback log as training data: its raw rows (feature columns and labels) as a Table
// or a CSV file that `trunkline train --resume runs/<id> --data <file>` reads.
import { Table, type ColumnType } from '../data/index.js';
import { writeCsv } from '../io/index.js';
import { feedbackColumns, readFeedback, type FeedbackRead } from './feedback-read.js';

/** The logged rows of the files (or directories) as a Table; `types` as the model's pipeline.schema(). */
export function readFeedbackTable(paths: readonly string[], options: { types?: Record<string, ColumnType> } = {}): { table: Table; read: FeedbackRead } {
  const read = readFeedback(paths);
  if (read.entries.length === 0) throw new Error(`${paths.join(', ')}: no feedback rows (files: ${read.files.join(', ') || 'none'})`);
  const table = Table.fromColumns(feedbackColumns(read.entries), { types: options.types, file: read.files.length === 1 ? read.files[0] : paths.join(',') });
  return { table, read };
}

/** Writes the logged rows as CSV; returns how many rows were written and how many torn lines skipped. */
export function feedbackToCsv(paths: readonly string[], out: string): { rows: number; skipped: number } {
  const read = readFeedback(paths);
  if (read.entries.length === 0) throw new Error(`${paths.join(', ')}: no feedback rows (files: ${read.files.join(', ') || 'none'})`);
  writeCsv(out, feedbackColumns(read.entries));
  return { rows: read.entries.length, skipped: read.skipped.length };
}
