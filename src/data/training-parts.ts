// The training rows a pipeline is fitted on, as parts that each summarise their own rows:
// one table in one process, each rank's share under mpirun. A fit asks every part for a
// summary and merges them; it never sees another part's rows, and one process fits through
// the same calls with a single part.
import type { Table } from './table.js';

export interface TrainingPart {
  readonly table: Table;
  /**
   * Row i's place in the whole training table (the row order one process would fit on):
   * decides which row comes first where a message quotes one, and numbers rows that have
   * no source line.
   */
  rowKey(i: number): number;
}

export interface TrainingParts {
  /** This process's part: its columns, types and file name are every part's. */
  readonly local: TrainingPart;
  /**
   * `summarize` on every part, merged in part order: the same value in every process.
   * Every process must make the same calls in the same order (a collective under mpirun).
   * Summaries must be JSON (numbers of any value, strings, booleans, null, arrays, plain
   * objects), since they may travel between processes.
   */
  combine<T>(summarize: (part: TrainingPart) => T, merge: (a: T, b: T) => T): T;
}

/** One table, fitted whole in this process. */
export function wholeTable(table: Table): TrainingParts {
  const local: TrainingPart = { table, rowKey: (i) => i };
  return { local, combine: (summarize) => summarize(local) };
}

/**
 * Several tables in this process, each row with its place in the whole, merged the way
 * processes merge them (every summary through exact JSON): for testing that a fit over
 * parts equals the fit of the whole.
 */
export function partsInProcess(parts: readonly { table: Table; rowKeys: ArrayLike<number> }[]): TrainingParts {
  const all: TrainingPart[] = parts.map(({ table, rowKeys }) => ({ table, rowKey: (i) => rowKeys[i] }));
  return {
    local: all[0],
    combine<T>(summarize: (part: TrainingPart) => T, merge: (a: T, b: T) => T): T {
      return all.map((p) => parseExactJson<T>(stringifyExactJson(summarize(p)))).reduce(merge);
    },
  };
}

// JSON that keeps every number: NaN, +-Infinity and -0 travel as tagged strings.
const TAG = '~number';

export function stringifyExactJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? { [TAG]: Object.is(v, -0) ? '-0' : String(v) } : v));
}

export function parseExactJson<T>(text: string): T {
  return JSON.parse(text, (_key, v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v[TAG] === 'string' && Object.keys(v).length === 1 ? Number(v[TAG]) : v));
}
