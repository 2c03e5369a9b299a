// The labels of feedback rows, read with the serving model's fitted label encoders so a
// label the model could not train on (not binary, not a number) is refused on arrival.
import { encodeTask, Table, type FeaturePipeline } from '../data/index.js';
import { badRequest } from './errors.js';

export type LoggedLabels = Record<string, number | string | null>;

export function feedbackLabels(rows: readonly Record<string, unknown>[], pipeline: FeaturePipeline): LoggedLabels[] {
  const out: LoggedLabels[] = rows.map(() => ({}));
  const present = pipeline.tasks.filter((t) => rows.some((r) => r[t.column] !== undefined && r[t.column] !== null));
  if (present.length === 0)
    throw badRequest('no_labels', `feedback rows need at least one label column (${pipeline.tasks.map((t) => `'${t.column}'`).join(', ')})`);
  for (const t of present) {
    const cells = rows.map((r) => {
      const v = r[t.column];
      if (v === undefined || v === null) return null;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw badRequest('bad_label', `column '${t.column}' holds ${Array.isArray(v) ? 'an array' : 'an object'}; a label is a string or a number`);
    });
    const type = t.type === 'regression' ? 'numeric' : 'categorical';
    const table = Table.fromColumns({ [t.column]: cells }, { types: { [t.column]: type }, file: 'feedback' });
    let encoded;
    try {
      encoded = encodeTask(table, t);
    } catch (e) {
      throw badRequest('bad_label', (e as Error).message);
    }
    const values = encoded.values;
    for (let i = 0; i < rows.length; i++) {
      if (cells[i] === null) {
        out[i][t.name] = null;
        continue;
      }
      if (t.type === 'multiclass') {
        const k = values[i];
        // A class the model never saw is kept as sent (the retrain may learn it).
        out[i][t.name] = k >= 0 ? t.classes![k] : cells[i];
      } else if (t.type === 'multilabel') {
        out[i][t.name] = cells[i];
      } else if (t.type === 'regression') {
        // The value as sent, not its float32 copy.
        out[i][t.name] = Number(cells[i]);
      } else {
        const v = values[i];
        out[i][t.name] = Number.isNaN(v) ? null : v;
      }
    }
  }
  return out;
}
