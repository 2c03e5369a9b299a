// The embedded default data set: UCI Bank Marketing (CC BY 4.0), shipped gzipped in data/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsv, type CsvOptions } from './csv.js';
import type { Table } from './table.js';

// This file sits in src/data/ or dist/data/: the package root is two levels up.
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The absolute path of data/bank-marketing/bank-full.csv.gz in this package. */
export function bankMarketingPath(): string {
  const p = join(packageRoot, 'data', 'bank-marketing', 'bank-full.csv.gz');
  if (!existsSync(p)) throw new Error(`the embedded Bank Marketing data is missing: expected ${p}`);
  return p;
}

/** The tasks and dropped inputs of the default job (duration leaks y). */
export const bankMarketingDefaults = {
  tasks: [
    { name: 'y', type: 'binary' as const },
    { name: 'housing', type: 'binary' as const },
    { name: 'loan', type: 'binary' as const },
  ],
  drop: ['duration'],
};

/** Reads the embedded Bank Marketing data (45,211 rows, 17 columns). */
export function loadBankMarketing(options: CsvOptions = {}): Promise<Table> {
  return readCsv(bankMarketingPath(), options);
}
