// The new rows `train --resume` continues on: CSV or Parquet (a file, a directory or a glob), or the serving feedback log
// (JSON lines, as `trunkline serve --feedback-dir` writes them): one or more .jsonl files
// or directories of them, comma-separated.
import { readdirSync, statSync } from 'node:fs';
import { readTable, type FeaturePipeline, type Table } from '../data/index.js';
import { readRankShare, type RankShare, type RankWorld } from '../distributed/sharded-input.js';
import { readFeedbackTable } from '../serve/feedback-table.js';
import { requiredColumns } from './saved.js';
import { plural } from './summary.js';

/** A .jsonl file, or a directory holding some (a directory of CSV or Parquet files is data). */
function isFeedbackPath(path: string): boolean {
  if (path.endsWith('.jsonl')) return true;
  try {
    return statSync(path).isDirectory() && readdirSync(path).some((n) => n.endsWith('.jsonl'));
  } catch {
    return false;
  }
}

export async function readResumeRows(data: string, pipeline: FeaturePipeline, log: (s: string) => void): Promise<Table> {
  const paths = data.split(',').map((p) => p.trim()).filter(Boolean);
  const types = pipeline.schema();
  if (!paths.some(isFeedbackPath)) return readTable(data, { types, required: requiredColumns(pipeline) });
  const notFeedback = paths.filter((p) => !isFeedbackPath(p));
  if (notFeedback.length) throw new Error(`--data: ${notFeedback.join(', ')} is not a feedback log (.jsonl or a directory of them); give CSV files one at a time`);
  const { table, read } = readFeedbackTable(paths, { types });
  table.requireColumns(requiredColumns(pipeline));
  log(`feedback log: ${read.entries.length} rows from ${plural(read.files.length, 'file')}${read.skipped.length ? `, ${read.skipped.length} torn or unreadable lines skipped (first: ${read.skipped[0].file} line ${read.skipped[0].line}: ${read.skipped[0].reason})` : ''}`);
  return table;
}

/**
 * Distributed: this rank's share of CSV or Parquet rows (whole files r, r + W, ... or a row
 * range of each file), typed by the saved pipeline's schema; null for a feedback log, which
 * every rank reads whole. Collective.
 */
export async function readResumeShare(data: string, pipeline: FeaturePipeline, world: RankWorld): Promise<RankShare | null> {
  const paths = data.split(',').map((p) => p.trim()).filter(Boolean);
  if (paths.some(isFeedbackPath)) return null;
  return readRankShare(data, { types: pipeline.schema(), required: requiredColumns(pipeline) }, world);
}
