// Tasks declared as data, and what the trainer derives from them: the label of a batch,
// its mask (rows without a label), the masked loss and host-side predictions.
import type { Tensor } from '../tensor/tensor.js';
import { fromBuffer } from '../tensor/creation.js';
import { abs, clamp, log, mul, rsub, add, sub } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { losses } from './deps.js';
import { DEFAULT_METRICS, METRIC_NAMES, type TaskKind } from '../metrics/evaluate.js';
import type { Batch } from './types.js';
import { applyTransform, invertTransform, metricUnit, type TargetScaler } from '../shared/target.js';
import type { TaskHeadSpec } from '../shared/contract.js';
import { toDevice } from '../ops/core.js';

export type TaskType = TaskKind;

/**
 * A prepared label: the target the loss takes (regression scaled; a missing entry holds 0,
 * or -1, the ignore index, for multiclass, or anything when the mask came with the batch),
 * a 0/1 mask of labelled entries, their count.
 */
export interface PreparedLabel {
  target: Tensor;
  mask: Tensor;
  count: number;
}

/** A custom loss: the model output for the task, the cleaned target and its mask; returns a scalar. */
export type LossFn = (output: Tensor, label: PreparedLabel) => Tensor;

export type LossName = 'bce' | 'crossEntropy' | 'mse' | 'huber' | 'mae';

export interface TaskSpec {
  name: string;
  type: TaskType;
  /** Classes (multiclass) or labels (multilabel). */
  numClasses?: number;
  /** The label column in batch.labels (default: the task name), or a function computing it from the batch. */
  label?: string | ((batch: Batch) => Tensor);
  /** Default: bce for binary/multilabel, crossEntropy for multiclass, mse for regression. */
  loss?: LossName | LossFn;
  /** Weight in a fixed weighted sum (default 1). */
  weight?: number;
  /** Metric names (see metrics.METRIC_NAMES); default per type. */
  metrics?: string[];
  /** Positive-class weight for binary / multilabel bce. */
  posWeight?: number;
  /** Hidden sizes of the default MLP tower (default [16]). */
  towerHidden?: number[];
  /**
   * Regression: the loss sees (transform(y) - mean) / std and predictions are mapped back.
   * Left out, `train` fits it on the training labels (standardised, no transform); null trains on the raw target.
   */
  target?: TargetScaler | null;
}

const DEFAULT_LOSS: Record<TaskType, LossName> = { binary: 'bce', multilabel: 'bce', multiclass: 'crossEntropy', regression: 'mse' };

export class Task {
  readonly name: string;
  readonly type: TaskType;
  readonly numClasses: number;
  readonly weight: number;
  readonly metrics: string[];
  readonly loss: LossName | LossFn;
  readonly spec: TaskSpec;
  /** Regression: the target scaler in use (undefined until `train` fits one when the spec gave none). */
  target: TargetScaler | null | undefined;

  constructor(spec: TaskSpec) {
    if (!spec || typeof spec.name !== 'string' || !spec.name) throw new Error('Task: a task needs a non-empty name');
    if (!(spec.type in DEFAULT_LOSS))
      throw new Error(`Task '${spec.name}': type '${spec.type}' is not one of binary, multiclass, multilabel, regression`);
    if ((spec.type === 'multiclass' || spec.type === 'multilabel') && !(Number.isInteger(spec.numClasses) && spec.numClasses! >= 2))
      throw new Error(`Task '${spec.name}': a ${spec.type} task needs numClasses >= 2 (got ${spec.numClasses})`);
    const weight = spec.weight ?? 1;
    if (!(Number.isFinite(weight) && weight >= 0)) throw new Error(`Task '${spec.name}': weight must be a finite number >= 0 (got ${weight})`);
    const known = METRIC_NAMES[spec.type] as readonly string[];
    for (const m of spec.metrics ?? [])
      if (!known.includes(m)) throw new Error(`Task '${spec.name}': metric '${m}' is not defined for ${spec.type} tasks (known: ${known.join(', ')})`);
    this.spec = spec;
    this.name = spec.name;
    this.type = spec.type;
    this.numClasses = spec.numClasses ?? (spec.type === 'binary' ? 2 : 1);
    this.weight = weight;
    this.metrics = spec.metrics ?? DEFAULT_METRICS[spec.type];
    this.loss = spec.loss ?? DEFAULT_LOSS[spec.type];
    if (spec.target && !(spec.type === 'regression' && Number.isFinite(spec.target.mean) && spec.target.std > 0 && ['none', 'log1p'].includes(spec.target.transform)))
      throw new Error(`Task '${spec.name}': target scaler ${JSON.stringify(spec.target)} needs a regression task, transform 'none' or 'log1p', a finite mean and std > 0`);
    this.target = spec.type === 'regression' ? spec.target : null;
  }

  /** The unit a regression task's metrics are in: the target's own, or log1p of it. */
  get metricUnit(): string {
    return metricUnit(this.name, this.target);
  }

  /** Width of the tower output: 1 for binary and regression, C or K otherwise. */
  get outputWidth(): number {
    return this.type === 'multiclass' || this.type === 'multilabel' ? this.numClasses : 1;
  }

  /** This task's label tensor in a batch, or null when the batch carries none for it. */
  labelOf(batch: Batch): Tensor | null {
    const l = this.spec.label;
    if (typeof l === 'function') return l(batch);
    return batch.labels[l ?? this.name] ?? null;
  }

  /**
   * The label as the loss takes it. When the batch carries the data layer's mask for it
   * and the loss skips masked entries whatever they hold (bce, mse and crossEntropy on
   * logits; not a loss on a probability output, as ESMM's), the label stays on its device:
   * only a regression target is scaled there. Otherwise the mask
   * is built on the host from the label (NaN, or a negative class id, is missing), and the
   * labels are checked on the way.
   */
  prepare(label: Tensor, batch?: Batch, probability = false): PreparedLabel {
    const given = probability ? null : this.maskOf(batch);
    if (given && (this.loss === 'bce' || this.loss === 'mse' || this.loss === 'crossEntropy')) {
      const s = this.target;
      if (!s) return { target: label, mask: given.mask, count: given.count };
      const transformed = s.transform === 'log1p' ? log(add(label, 1)) : label;
      return { target: mul(sub(transformed, s.mean), 1 / s.std), mask: given.mask, count: given.count };
    }
    const raw = toDevice(label, 'cpu');
    const values = raw.data();
    const n = values.length;
    const mask = new Float32Array(n);
    const multiclass = this.type === 'multiclass';
    const target = multiclass ? new Int32Array(n).fill(-1) : new Float32Array(n);
    const scaler = this.target;
    const binaryLike = this.type === 'binary' || this.type === 'multilabel';
    let count = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (Number.isNaN(v) || (multiclass && v < 0)) continue;
      if (multiclass && v >= this.numClasses)
        throw new Error(`Task '${this.name}': class id ${v} at row ${i} is outside 0..${this.numClasses - 1}`);
      // Soft targets in [0, 1] are fine for BCE; outside it the loss goes negative.
      if (binaryLike && !(v >= 0 && v <= 1)) throw new Error(`Task '${this.name}': ${this.type} label ${v} at row ${i} is outside [0, 1] (NaN marks a missing label)`);
      mask[i] = 1;
      if (scaler) {
        if (scaler.transform === 'log1p' && !(v > -1)) throw new Error(`Task '${this.name}': target ${v} at row ${i} is outside the domain of transform 'log1p' (needs > -1)`);
        target[i] = (applyTransform(scaler.transform, v) - scaler.mean) / scaler.std;
      } else target[i] = v;
      count++;
    }
    if (raw !== label) raw.dispose();
    const device = label.device;
    const t = fromBuffer(target, label.shape), m = fromBuffer(mask, label.shape);
    return { target: toDevice(t, device), mask: toDevice(m, device), count };
  }

  /** The mask and labelled count the batch brought for this task's label column, if any. */
  private maskOf(batch: Batch | undefined): { mask: Tensor; count: number } | null {
    const l = this.spec.label;
    if (!batch || typeof l === 'function') return null;
    const key = l ?? this.name;
    const mask = batch.masks?.[key], count = batch.labelCounts?.[key];
    return mask && count !== undefined ? { mask, count } : null;
  }

  /** Gives the raw tower output the task's shape: [B] for width-1 tasks, [B, C] otherwise. */
  shapeOutput(out: Tensor): Tensor {
    if (this.outputWidth === 1 && out.ndim === 2 && out.shape[1] === 1) return reshape(out, [out.shape[0]]);
    return out;
  }

  /**
   * The masked mean loss of this task. `output` is the task's output (logits, or a
   * probability when `probability` is true, as ESMM's pCTCVR). Rows without a label add
   * nothing; when no row has one the loss is 0 (still connected to the graph).
   */
  computeLoss(output: Tensor, label: PreparedLabel, probability = false): Tensor {
    const expected = this.outputWidth === 1 ? [label.mask.shape[0]] : [label.mask.shape[0], this.outputWidth];
    if (output.shape.join() !== expected.join() && !(this.type === 'multiclass' && output.shape[0] === label.mask.shape[0]))
      throw new Error(`Task '${this.name}': output shape [${output.shape}] does not match labels (expected [${expected}])`);
    if (label.count === 0) return mul(sum(output), 0);
    if (typeof this.loss === 'function') return this.loss(output, label);
    if (probability) return maskedProbabilityBce(output, label);
    switch (this.loss) {
      case 'bce':
        return losses.bceWithLogits(output, label.target, { mask: label.mask, posWeight: this.spec.posWeight });
      case 'crossEntropy':
        // Rows without a label hold -1, the ignore index; the mean is over the others.
        return losses.crossEntropy(output, label.target, { ignoreIndex: -1 });
      case 'mse':
        return losses.mse(output, label.target, { mask: label.mask });
      case 'huber':
        return losses.huber(output, label.target, { mask: label.mask });
      case 'mae': {
        return mul(sum(mul(abs(sub(output, label.target)), label.mask)), 1 / label.count);
      }
      default:
        throw new Error(`Task '${this.name}': unknown loss '${this.loss as string}'`);
    }
  }

  /**
   * Host-side predictions for metrics: probabilities for classification; for regression,
   * values on the metric scale (the target's units, or log1p of them under that transform).
   */
  predictions(output: Float32Array, probability = false): Float32Array {
    const out = new Float32Array(output.length);
    if (this.type === 'regression') {
      const s = this.target;
      for (let i = 0; i < output.length; i++) out[i] = s ? output[i] * s.std + s.mean : output[i];
      return out;
    }
    if (probability) {
      out.set(output);
      return out;
    }
    if (this.type === 'multiclass') {
      const C = this.numClasses;
      for (let r = 0; r < output.length / C; r++) {
        let m = -Infinity;
        for (let c = 0; c < C; c++) m = Math.max(m, output[r * C + c]);
        let s = 0;
        for (let c = 0; c < C; c++) s += (out[r * C + c] = Math.exp(output[r * C + c] - m));
        for (let c = 0; c < C; c++) out[r * C + c] /= s;
      }
      return out;
    }
    for (let i = 0; i < output.length; i++) out[i] = 1 / (1 + Math.exp(-output[i]));
    return out;
  }

  /** Labels on the metric scale (regression under 'log1p': log1p of the label). */
  metricLabels(labels: Float32Array | Int32Array): Float32Array | Int32Array {
    if (this.type !== 'regression' || this.target?.transform !== 'log1p') return labels;
    return Float32Array.from(labels, (v) => applyTransform('log1p', v));
  }

  /** Predictions in the target's own units (undoes a log1p); classification outputs as they are. */
  toUserUnits(predictions: Float32Array): Float32Array {
    if (this.type !== 'regression' || this.target?.transform !== 'log1p') return predictions;
    return predictions.map((v) => invertTransform('log1p', v));
  }
}

/** Binary cross-entropy on probabilities, masked mean (probabilities clipped away from 0 and 1). */
function maskedProbabilityBce(p: Tensor, label: PreparedLabel): Tensor {
  const eps = 1e-6;
  const pc = clamp(p, eps, 1 - eps);
  const y = label.target;
  const ll = add(mul(y, log(pc)), mul(rsub(y, 1), log(rsub(pc, 1))));
  return mul(sum(mul(ll, label.mask)), -1 / label.count);
}

export function defineTasks(specs: readonly (TaskSpec | Task)[]): Task[] {
  const tasks = specs.map((s) => (s instanceof Task ? s : new Task(s)));
  const seen = new Set<string>();
  for (const t of tasks) {
    if (seen.has(t.name)) throw new Error(`defineTasks: task name '${t.name}' is used twice`);
    seen.add(t.name);
  }
  return tasks;
}


/** Task declarations from the data pipeline's fitted task specs ({ name, type, outputs }). */
export function tasksFromData(
  specs: readonly TaskHeadSpec[],
  overrides: Record<string, Partial<TaskSpec>> = {},
): Task[] {
  return defineTasks(
    specs.map((s) => ({
      name: s.name,
      type: s.type,
      ...(s.type === 'multiclass' || s.type === 'multilabel' ? { numClasses: s.outputs } : {}),
      // A pipeline saved before targets were scaled has none: keep training on the raw target.
      ...(s.type === 'regression' ? { target: s.target ?? null } : {}),
      ...overrides[s.name],
    })),
  );
}
