// The task schedule: which of the trained tasks learn from each step's batch. Joint training
// gives every task every batch; alternating schedules (and per-task data sets, where a
// batch holds one task's rows) take turns by batch or by epoch, in proportion to the
// sampling ratios.
import type { MultiTaskModel } from './model.js';
import type { Task } from './task.js';
import type { Schedule } from './train-options.js';

const SCHEDULES: readonly Schedule[] = ['joint', 'alternate-batch', 'alternate-epoch'];

/** The schedule's name, checked (default 'joint'). */
export function scheduleKind(name: string | undefined): Schedule {
  const kind = name ?? 'joint';
  if (!SCHEDULES.includes(kind as Schedule)) throw new Error(`train: schedule '${kind}' is not joint, alternate-batch or alternate-epoch`);
  return kind as Schedule;
}

/** The model's tasks named in `names` (in that order), or all of them. */
export function trainedTasks(model: MultiTaskModel, names: readonly string[] | undefined): Task[] {
  if (!names) return model.tasks.slice();
  return names.map((n) => {
    const t = model.tasks.find((x) => x.name === n);
    if (!t) throw new Error(`train: unknown task '${n}' (model tasks: ${model.tasks.map((x) => x.name).join(', ')})`);
    return t;
  });
}

/** Smooth weighted round-robin: deterministic, proportional task turns. */
export class TaskPicker {
  private readonly credit: number[];
  constructor(private readonly names: readonly string[], private readonly ratios: readonly number[]) {
    this.credit = names.map(() => 0);
  }
  next(): string {
    const total = this.ratios.reduce((a, b) => a + b, 0);
    let best = 0;
    for (let i = 0; i < this.names.length; i++) {
      this.credit[i] += this.ratios[i];
      if (this.credit[i] > this.credit[best]) best = i;
    }
    this.credit[best] -= total;
    return this.names[best];
  }
}

export class TaskSchedule {
  private readonly picker: TaskPicker;

  /** `perTask`: each batch comes from one task's own data set, so a step trains one task. */
  constructor(readonly kind: Schedule, readonly names: readonly string[], samplingRatios: Record<string, number> | undefined, private readonly perTask: boolean) {
    for (const [n, r] of Object.entries(samplingRatios ?? {}))
      if (!names.includes(n) || !(r >= 0)) throw new Error(`train: samplingRatios.${n} must name a trained task and be >= 0`);
    this.picker = new TaskPicker(names, names.map((n) => samplingRatios?.[n] ?? 1));
  }

  /** The one task an 'alternate-epoch' epoch trains, else null. */
  epochTask(epoch: number): string | null {
    return this.kind === 'alternate-epoch' ? this.names[epoch % this.names.length] : null;
  }

  /** The tasks that learn from the next step's batch (a turn of the picker when tasks alternate by batch). */
  activeTasks(epoch: number): string[] {
    const epochTask = this.epochTask(epoch);
    if (this.perTask) return [epochTask ?? this.picker.next()];
    if (this.kind === 'alternate-batch') return [this.picker.next()];
    if (epochTask) return [epochTask];
    return this.names.slice();
  }
}
