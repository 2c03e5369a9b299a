// Save and load: safetensors weights, atomic writes, model directories.
export { writeFileAtomic } from './atomic.js';
export { formatCsv, writeCsv, type CsvColumnValues } from './csv-writer.js';
export { writeParquet, isParquetPath } from './parquet-writer.js';
export {
  serializeSafetensors,
  parseSafetensors,
  saveSafetensors,
  loadSafetensors,
  checkTensors,
  type SafetensorsContents,
  type TensorShapes,
} from './safetensors.js';
export { saveModel, loadModel, readModelConfig, rehashModel, recoverModelDir, WEIGHTS_FILE, CONFIG_FILE, type SaveModelOptions, type LoadedModel, type ModelConfigFile } from './model.js';
