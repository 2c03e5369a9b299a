// Named columns to a Parquet file (hyparquet-writer, snappy), written atomically: numbers as
// DOUBLE (INT32 for integer typed arrays), everything else as UTF-8 strings.
import { parquetWriteBuffer } from 'hyparquet-writer';
import { writeFileAtomic } from './atomic.js';
import type { CsvColumnValues } from './csv-writer.js';

export function writeParquet(path: string, columns: Record<string, CsvColumnValues>): void {
  const columnData = Object.entries(columns).map(([name, values]) => {
    if (values instanceof Int32Array) return { name, data: values, type: 'INT32' as const };
    const all = Array.from(values as ArrayLike<unknown>);
    if (all.every((v) => typeof v === 'number')) return { name, data: Float64Array.from(all as number[]), type: 'DOUBLE' as const };
    return { name, data: all.map((v) => (v === null || v === undefined ? null : String(v))), type: 'STRING' as const, nullable: true };
  });
  const buffer = parquetWriteBuffer({ columnData });
  writeFileAtomic(path, new Uint8Array(buffer));
}

/** CSV or Parquet by the output path's extension. */
export function isParquetPath(path: string): boolean {
  return /\.parquet$/i.test(path);
}
