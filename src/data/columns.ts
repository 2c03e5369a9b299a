// Views of a column as strings or numbers whatever its stored type, so a pipeline fitted on
// one file applies to another whose inference went differently (e.g. 'day' read as numeric
// but used as a categorical feature).
import { parseNumber, type Column } from './table.js';

export interface DictionaryView {
  /** -1 for missing. */
  codes: Int32Array;
  dictionary: readonly string[];
}

export function asStrings(col: Column): DictionaryView {
  if (col.type !== 'numeric') return { codes: col.codes, dictionary: col.dictionary };
  const map = new Map<number, number>();
  const dictionary: string[] = [];
  const codes = new Int32Array(col.values.length);
  for (let i = 0; i < codes.length; i++) {
    const v = col.values[i];
    if (Number.isNaN(v)) {
      codes[i] = -1;
      continue;
    }
    let c = map.get(v);
    if (c === undefined) {
      c = dictionary.length;
      map.set(v, c);
      dictionary.push(String(v));
    }
    codes[i] = c;
  }
  return { codes, dictionary };
}

/** Numbers per row (NaN for missing or unparsable) and how many present cells did not parse. */
export function asNumbers(col: Column): { values: Float64Array; invalidRows: number[] } {
  if (col.type === 'numeric') return { values: col.values, invalidRows: [] };
  // The same rule as reading a numeric column, so a value parses alike in every file.
  const parsed = col.dictionary.map(parseNumber);
  const values = new Float64Array(col.codes.length);
  const invalidRows: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const c = col.codes[i];
    values[i] = c < 0 ? NaN : parsed[c];
    if (c >= 0 && Number.isNaN(parsed[c])) invalidRows.push(i);
  }
  return { values, invalidRows };
}

/** 32-bit FNV-1a over UTF-16 code units: stable across runs and platforms. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
