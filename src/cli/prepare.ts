// The job's data step: read, check, clean, split, fit the features on the training
// split only, and encode every split.
import {
  FeaturePipeline,
  cleanTable,
  columnSplit,
  loadBankMarketing,
  randomSplit,
  readTable,
  readSplitFiles,
  splitTable,
  stratifiedSplit,
  timeSplit,
  type CleaningReport,
  type EncodedDataset,
  Table,
  type Split,
} from '../data/index.js';
import { rank as worldRank, worldSize } from '../distributed/world.js';
import { gatherJson } from '../distributed/collectives.js';
import { agreeOnInvalidCells, dedupeAcrossRanks, localSplit, rankParts, readRankShare, together, type RankWorld } from '../distributed/sharded-input.js';
import { runOnRanks } from '../distributed/exchange.js';
import { stratifiedSplitParts } from '../distributed/stratified-split.js';
import { timeSplitParts } from '../distributed/time-split.js';
import type { JobConfig } from './config.js';

export interface PreparedData {
  source: string;
  pipeline: FeaturePipeline;
  train: EncodedDataset;
  validation: EncodedDataset;
  test: EncodedDataset;
  cleaning: CleaningReport;
  badRows: number;
  /** The first bad row, as 'file line N: what was wrong' (for the log and the report). */
  firstBadRow: string | null;
  /**
   * What the data step noticed that may spoil the model without stopping it (text cells
   * in numeric columns, id-like numeric columns, features that give a label away, ...),
   * one sentence each: the fitted pipeline's warnings and those of the validation and
   * test files.
   */
  warnings: string[];
  /**
   * Distributed runs where each rank read its share of data.path: train, validation and
   * test above hold this rank's rows only; these are the whole data set's counts and what
   * this rank read.
   */
  rankShare?: {
    rows: { train: number; validation: number; test: number };
    mode: 'files' | 'rows';
    files: string[];
    rowsRead: number;
    /** Each rank's training rows. */
    trainRowsPerRank: number[];
  };
}

function taskColumns(config: JobConfig): string[] {
  return config.tasks.map((t) => t.column ?? t.name);
}

export async function prepareData(config: JobConfig, seed: number): Promise<PreparedData> {
  // Under an MPI launcher each rank reads its share of one data path (separate validation
  // and test files are read whole by every rank, their batches split as before).
  if (worldSize() > 1 && config.data.path && !config.data.validationPath && !config.data.testPath)
    return prepareRankShare(config, seed, { rank: worldRank(), size: worldSize() });
  const source = config.data.path ?? 'embedded UCI Bank Marketing (bank-full.csv.gz)';
  const onBadRow = config.data.onBadRow ?? 'skip';
  let train: Table;
  let validation: Table | undefined;
  let test: Table | undefined;
  if (config.data.validationPath || config.data.testPath) {
    if (!config.data.path) throw new Error('data.validationPath / data.testPath need data.path (the training file)');
    ({ train, validation, test } = await readSplitFiles({ train: config.data.path, validation: config.data.validationPath, test: config.data.testPath }, { onBadRow }));
  } else {
    train = config.data.path ? await readTable(config.data.path, { onBadRow }) : await loadBankMarketing();
  }
  const badRows = [train, validation, test].reduce((n, t) => n + (t?.report?.badRows ?? 0), 0);
  const firstBad = [train, validation, test].find((t) => t?.report?.badRowSamples.length)?.report;
  const firstBadRow = firstBad ? `${firstBad.file} line ${firstBad.badRowSamples[0].line}: ${firstBad.badRowSamples[0].message}` : null;
  train.requireColumns([...taskColumns(config), ...(config.data.split?.column ? [config.data.split.column] : [])]);

  // Dedupe only rows this step splits: a split the user gives (a split column, or both
  // validation and test files) is kept exactly as given, duplicates and all.
  const splitHere = (!validation || !test) && config.data.split?.kind !== 'column';
  const warnings: string[] = [];
  if (config.data.dedupe === true && !splitHere)
    warnings.push(`data.dedupe: no rows removed, since the split is given (${config.data.split?.kind === 'column' ? `by column '${config.data.split.column}'` : 'by files'}) and is kept as it is`);
  const cleaned = cleanTable(train, { dedupe: splitHere && (config.data.dedupe ?? true) });
  train = cleaned.table;

  if (!validation || !test) {
    // The config schema fills in the split's fractions.
    const s = config.data.split;
    const opts = { validation: s.validation, test: s.test, seed };
    const split =
      s.kind === 'stratified'
        ? stratifiedSplit(train, s.column ?? taskColumns(config)[0], opts)
        : s.kind === 'time'
          ? timeSplit(train, need(s.column, 'time'), opts)
          : s.kind === 'column'
            ? columnSplit(train, need(s.column, 'column'))
            : randomSplit(train.numRows, opts);
    const parts = splitTable(train, split);
    train = parts.train;
    validation ??= parts.validation;
    test ??= parts.test;
  }
  if (train.numRows === 0) throw new Error(`${source}: the training split is empty`);

  const exclude = [...(config.data.drop ?? []), ...(config.data.split?.kind === 'column' || config.data.split?.kind === 'time' ? [config.data.split.column!] : [])];
  const pipeline = FeaturePipeline.fit(train, { tasks: config.tasks, features: config.features, exclude });
  warnings.push(...pipeline.warnings);
  // Validation and test files were read on their own: their text cells in numeric columns are news too.
  for (const part of [validation, test]) if (part && part.file !== train.file) warnings.push(...pipeline.numericCellWarnings(part));
  return {
    source,
    pipeline,
    train: pipeline.transform(train),
    validation: pipeline.transform(validation!),
    test: pipeline.transform(test!),
    cleaning: cleaned.report,
    badRows,
    firstBadRow,
    warnings,
  };
}

function need(column: string | undefined, kind: string): string {
  if (!column) throw new Error(`data.split: a '${kind}' split needs data.split.column`);
  return column;
}

/**
 * prepareData for one rank of a distributed run, reading only its share of data.path; the
 * result is the single-process one restricted to this rank's rows. Types are inferred from
 * every rank's counts; duplicates are found by the rank that owns each row's hash; a random
 * split is the single-process permutation of all rows, applied to this rank's rows by their
 * global index; a stratified split exchanges per-stratum counts and cut-off keys, a time
 * split sorts the rows' (time, index) keys across the ranks; the pipeline is fitted from
 * statistics of each rank's training rows merged across ranks (no rank holds another's
 * rows), so vocabularies, scalers, target scalers and warnings are exactly those of one
 * process. Collective.
 */
async function prepareRankShare(config: JobConfig, seed: number, world: RankWorld): Promise<PreparedData> {
  const source = config.data.path!;
  const s = config.data.split;
  const configured = [...taskColumns(config), ...(s?.column && s.kind !== 'random' ? [s.column] : []), ...(config.features ?? []).map((f) => f.column ?? f.name)];
  const share = await readRankShare(source, { onBadRow: config.data.onBadRow ?? 'skip', required: [...new Set(configured)] }, world);
  // Cells that are not numbers are counted by the reader, per rank: the fit's warnings quote the whole data set's.
  const read = agreeOnInvalidCells(share.table, share.globalIndex);

  const splitHere = s?.kind !== 'column';
  const warnings: string[] = [];
  if (config.data.dedupe === true && !splitHere) warnings.push(`data.dedupe: no rows removed, since the split is given (by column '${s.column}') and is kept as it is`);
  const dd = dedupeAcrossRanks(read, share.globalIndex, share.totalRows, splitHere && (config.data.dedupe ?? true));
  const keptRows = Int32Array.from(dd.keptIndex.map((k, i) => (k >= 0 ? i : -1)).filter((i) => i >= 0));
  const table = keptRows.length === read.numRows ? read : read.select(keptRows);
  const keptIndex = Float64Array.from(keptRows, (i) => dd.keptIndex[i]);

  // This rank's rows of each part, and each training row's place in the training table one
  // process fits on: its index among the kept rows, or under a time split its place in time
  // order, which one process keeps.
  let local: Split;
  let trainPlaces: Float64Array | null = null;
  if (s.kind === 'column') {
    const split = await together(() => columnSplit(table, need(s.column, 'column')));
    local = localSplit(split, table.numRows);
  } else {
    const opts = { validation: s.validation, test: s.test, seed };
    if (s.kind === 'time') ({ split: local, trainPlaces } = runOnRanks(timeSplitParts(table, need(s.column, 'time'), keptIndex, dd.totalKept, opts, world)).value);
    else if (s.kind === 'stratified') local = runOnRanks(stratifiedSplitParts(table, s.column ?? taskColumns(config)[0], keptIndex, opts)).value;
    else local = localSplit(randomSplit(dd.totalKept, opts), dd.totalKept, keptIndex);
  }
  const { train: trainRows, validation: validRows, test: testRows } = local;
  const counts = gatherJson([trainRows.length, validRows.length, testRows.length]);
  const total = (p: number) => counts.reduce((n, c) => n + c[p], 0);
  const trainPerRank = counts.map((c) => c[0]);
  if (total(0) === 0) throw new Error(`${source}: the training split is empty`);
  if (total(0) < world.size)
    throw new Error(`${source}: ${total(0)} training ${total(0) === 1 ? 'row' : 'rows'} for ${world.size} ranks; every rank needs at least one training row (run with at most ${total(0)} ${total(0) === 1 ? 'rank' : 'ranks'})`);
  const idle = trainPerRank.indexOf(0);
  if (idle >= 0)
    throw new Error(`${source}: rank ${idle} of ${world.size} holds none of the ${total(0)} training rows (training rows per rank: ${trainPerRank.join(', ')}); ${
        share.mode === 'rows'
          ? 'with fewer files than ranks each file is shared among the ranks (a CSV by bytes), so a small file or a quoted field longer than a share can leave a rank without rows: run with fewer ranks, or give at least as many files of similar size as ranks'
          : 'give the data as at least as many files of similar size as ranks, or as one file'
      }`);

  const exclude = [...(config.data.drop ?? []), ...(s.kind === 'column' || s.kind === 'time' ? [s.column!] : [])];
  const trainLocal = table.select(trainRows);
  const pipeline = FeaturePipeline.fitParts(rankParts(trainLocal, trainPlaces ?? Float64Array.from(trainRows, (i) => keptIndex[i])), { tasks: config.tasks, features: config.features, exclude });
  warnings.push(...pipeline.warnings);
  const [train, validation, test] = await together(() => [trainLocal, table.select(validRows), table.select(testRows)].map((t) => pipeline.transform(t)));
  const first = share.badRowSamples[0];
  return {
    source,
    pipeline,
    train,
    validation,
    test,
    cleaning: { file: source, rowsIn: share.totalRows, rowsOut: dd.totalKept, duplicateRows: dd.duplicateRows, duplicateRowLines: dd.duplicateRowLines, droppedMissing: 0, columns: [] },
    badRows: share.badRows,
    firstBadRow: first ? `${share.allFiles.length > 1 ? source : share.allFiles[0].file} line ${first.line}: ${first.message}` : null,
    warnings,
    rankShare: {
      rows: { train: total(0), validation: total(1), test: total(2) },
      mode: share.mode,
      files: share.files.map((f) => f.file),
      rowsRead: read.numRows,
      trainRowsPerRank: trainPerRank,
    },
  };
}
