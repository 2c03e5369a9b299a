// What a run records of itself: each trained model's result and the data it saw. train and
// resume write these into metrics.json; summary and report read them, so none of those
// modules needs another's.
import type { EvaluationResult, History } from '../mtl/index.js';
import type { Architecture } from './config.js';

/** One trained model's record in metrics.json. */
export interface ModelRun {
  kind: 'single-task' | 'multi-task';
  architecture: Architecture;
  tasks: string[];
  seed: number;
  seconds: number;
  /** Trainable parameters. */
  parameters: number;
  /** What early stopping and the kept checkpoint followed, in words. */
  monitor: string;
  test: EvaluationResult;
  /** The test metrics of a constant predictor (the training rate, class shares or mean) on the same rows; absent under MPI, where a rank holds only its share of the rows. */
  constant?: Record<string, Record<string, number>>;
  history: History;
}

/** What `trunkline train` returns: the run directory it wrote and every model's record. */
export interface RunResult {
  dir: string;
  runs: ModelRun[];
}

/** The data a run trained on, as report.html shows it (metrics.json may hold more). */
export interface DataSummary {
  source: string;
  rows: { train: number; validation: number; test: number };
  badRows: number;
  /** Where the first skipped row was, in words; null when none was. */
  firstBadRow?: string | null;
  duplicateRows: number;
}
