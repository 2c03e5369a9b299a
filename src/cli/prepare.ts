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
  type Table,
} from '../data/index.js';
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
}

function taskColumns(config: JobConfig): string[] {
  return config.tasks.map((t) => t.column ?? t.name);
}

export async function prepareData(config: JobConfig, seed: number): Promise<PreparedData> {
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
