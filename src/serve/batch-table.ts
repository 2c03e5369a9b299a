// The checked blocks of several requests as one Table, the input FeaturePipeline.transform
// takes: numbers are copied into one Float64Array per column, strings dictionary-encoded.
import { Table, type Column } from '../data/index.js';
import type { InputColumn, RowBlock } from './rows.js';

export function blocksToTable(blocks: readonly RowBlock[], columns: readonly InputColumn[]): Table {
  let n = 0;
  for (const b of blocks) n += b.size;
  const cols: Column[] = [];
  for (const c of columns) {
    if (c.kind === 'numeric') {
      const values = new Float64Array(n);
      let at = 0;
      for (const b of blocks) {
        values.set(b.numbers.get(c.column)!, at);
        at += b.size;
      }
      cols.push({ name: c.column, type: 'numeric', values, invalid: 0 });
      continue;
    }
    const codes = new Int32Array(n);
    const index = new Map<string, number>();
    const dictionary: string[] = [];
    let at = 0;
    for (const b of blocks) {
      for (const s of b.strings.get(c.column)!) {
        if (s === null) {
          codes[at++] = -1;
          continue;
        }
        let code = index.get(s);
        if (code === undefined) {
          code = dictionary.length;
          index.set(s, code);
          dictionary.push(s);
        }
        codes[at++] = code;
      }
    }
    cols.push({ name: c.column, type: c.kind, codes, dictionary });
  }
  return new Table(cols, new Int32Array(n), '<request>');
}
