// Per-row answers from the model's batched outputs: a probability for a binary task, the
// class and every class's probability for a multiclass task, one probability per label
// for a multilabel task, the value for a regression task.
import type { TaskSpec } from '../data/index.js';

export type TaskAnswer =
  | { probability: number }
  | { class: string; probabilities: Record<string, number> }
  | { labels: Record<string, number> }
  | { value: number };

export type RowAnswer = Record<string, TaskAnswer>;

/** Rows [start, start + count) of the batch outputs. */
export function answersFor(outputs: Record<string, Float32Array>, batchRows: number, specs: readonly TaskSpec[], start: number, count: number): RowAnswer[] {
  const answers: RowAnswer[] = new Array(count);
  for (let i = 0; i < count; i++) answers[i] = {};
  for (const [name, values] of Object.entries(outputs)) {
    const width = values.length / batchRows;
    const spec = specs.find((s) => s.name === name);
    for (let i = 0; i < count; i++) {
      const r = start + i;
      answers[i][name] = answer(spec, values, r, width);
    }
  }
  return answers;
}

function answer(spec: TaskSpec | undefined, values: Float32Array, row: number, width: number): TaskAnswer {
  const at = row * width;
  if (!spec) return { value: values[at] }; // an extra output (ESMM's products): a probability
  switch (spec.type) {
    case 'binary':
      return { probability: values[at] };
    case 'regression':
      return { value: values[at] };
    case 'multiclass': {
      const classes = spec.classes ?? [];
      const probabilities: Record<string, number> = {};
      let best = 0;
      for (let k = 0; k < width; k++) {
        probabilities[classes[k] ?? String(k)] = values[at + k];
        if (values[at + k] > values[at + best]) best = k;
      }
      return { class: classes[best] ?? String(best), probabilities };
    }
    case 'multilabel': {
      const classes = spec.classes ?? [];
      const labels: Record<string, number> = {};
      for (let k = 0; k < width; k++) labels[classes[k] ?? String(k)] = values[at + k];
      return { labels };
    }
  }
}
