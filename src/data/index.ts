// The data pipeline: CSV -> Table -> cleaning -> splits -> fitted features -> batches.
export { Table, parseNumber, inferType, DEFAULT_MISSING, type Column, type NumericColumn, type StringColumn, type ColumnType, type ReadReport } from './table.js';
export { readCsv, readCsvString, sniffDialect, type CsvOptions, type Dialect } from './csv.js';
export { readParquet, type ParquetOptions } from './parquet.js';
export { readTable, readDataFile, dataFiles } from './sources.js';
export { cleanTable, columnStats, type CleanOptions, type CleaningReport, type ColumnStats } from './clean.js';
export {
  FeaturePipeline,
  featureSpec,
  textGrams,
  type FeatureConfig,
  type FeatureKind,
  type FeatureSpec,
  type FittedFeature,
  type EncodedFeature,
  type EncodedDataset,
  type FitOptions,
  type TransformOptions,
  type PipelineJSON,
} from './features.js';
export { fitTask, encodeTask, taskSpec, type TaskConfig, type TaskType, type TaskSpec, type FittedTask, type EncodedLabel } from './labels.js';
export {
  randomSplit,
  stratifiedSplit,
  timeSplit,
  columnSplit,
  kFold,
  splitTable,
  readSplitFiles,
  type Split,
  type SplitOptions,
  type Fold,
  type ColumnSplitNames,
} from './splits.js';
export { DataLoader, gatherBatch, type Batch, type DataLoaderOptions } from './loader.js';
export { bankMarketingPath, loadBankMarketing, bankMarketingDefaults } from './bank.js';
export { fnv1a } from './columns.js';
export { wholeTable, partsInProcess, type TrainingPart, type TrainingParts } from './training-parts.js';
export { parseIdx, readIdxFile, encodeIdxUint8, writeIdxUint8, loadImageSplit, imageBatch, splitAccuracy, type ImageSplit, type IdxData } from './idx.js';
