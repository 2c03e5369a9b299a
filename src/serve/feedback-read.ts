// Reading the feedback log: every complete JSON line of the given files (or of every
// feedback-*.jsonl in a directory). A last line without its newline is one a crash (or a
// writer still appending) left unfinished: it is skipped, counted, never an error.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** One line of the log. */
export interface FeedbackEntry {
  time: string;
  /** The model that scored the row (its run directory's name). */
  model: string;
  arm: string;
  /** The raw row as sent: feature columns and labels. */
  row: Record<string, unknown>;
  /** Per task: binary 0/1, the class name, the regression value; null when the row has no label for it. */
  labels: Record<string, number | string | null>;
  /** The serving model's answer for the row, as /predict gives it. */
  prediction: Record<string, unknown>;
}

export interface FeedbackRead {
  entries: FeedbackEntry[];
  files: string[];
  /** Lines skipped: a torn last line, or (never written by the server) a line that is not JSON. */
  skipped: { file: string; line: number; reason: string }[];
}

/** The feedback files of a directory (sorted by day), or the paths themselves. */
export function feedbackFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new Error(`${p}: no such feedback directory or file`);
    if (statSync(p).isDirectory())
      out.push(
        ...readdirSync(p)
          .filter((f) => /^feedback-.*\.jsonl$/.test(f))
          .sort()
          .map((f) => join(p, f)),
      );
    else out.push(p);
  }
  return out;
}

export function readFeedback(paths: readonly string[]): FeedbackRead {
  const files = feedbackFiles(paths);
  const result: FeedbackRead = { entries: [], files, skipped: [] };
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    // After the last '\n' comes '' for a complete file, or a torn line.
    const torn = lines.pop()!;
    if (torn !== '') result.skipped.push({ file, line: lines.length + 1, reason: 'unfinished last line (no newline)' });
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        const e = JSON.parse(line) as FeedbackEntry;
        if (!e || typeof e !== 'object' || typeof e.row !== 'object') throw new Error('not a feedback entry');
        result.entries.push(e);
      } catch (err) {
        result.skipped.push({ file, line: i + 1, reason: (err as Error).message });
      }
    });
  }
  return result;
}

/** The logged raw rows as columns (for Table.fromColumns or a CSV), in log order. */
export function feedbackColumns(entries: readonly FeedbackEntry[]): Record<string, (string | number | null)[]> {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const e of entries)
    for (const k of Object.keys(e.row))
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
  const cols: Record<string, (string | number | null)[]> = {};
  for (const n of names) cols[n] = entries.map((e) => cell(e.row[n]));
  return cols;
}

function cell(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (Array.isArray(v)) return v.join('|');
  return String(v);
}
