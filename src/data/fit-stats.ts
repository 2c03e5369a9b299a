// Everything a pipeline's fit reads of the training rows, gathered as statistics merged
// across the parts of those rows: a first pass (counts, exact sums, extremes, classes),
// a second from the agreed means (exact sums of squared deviations; labelled rows per
// value for the leak check, from the agreed binary labels), medians by a distributed
// search, and whether id-like columns hold distinct integers. One process runs the same
// passes over a single part, so a fit is always fitFromStats(collectFitStats(rows)).
import { bagCounts, firstExample, labelGroups, mergeCounts, mergeGroups, mergeNumeric, sortedPresentOf, summarizeNumeric, valueCounts, type LabelGroups, type NumericSummary, type RowExample, type ValueCounts } from './column-stats.js';
import { mergeSums, type ExactSum } from '../shared/exact-sum.js';
import { meanOf, squaredDeviations } from '../shared/moments.js';
import { mediansAcross } from './order-statistic.js';
import { DEFAULT_NEGATIVE, DEFAULT_POSITIVE, binaryLabels, mergeTaskSummaries, normalizeBinary, summarizeTask, targetValues, type TaskSummary } from './task-stats.js';
import type { TrainingParts } from './training-parts.js';
import { asNumbers } from './columns.js';
import type { FeatureConfig } from './features.js';
import type { TaskConfig } from './labels.js';

/** A feature to fit: its config, its column, and its kind (the config's, else the column's type). */
export interface PlannedFeature {
  cfg: FeatureConfig;
  name: string;
  column: string;
  kind: string;
}

export interface FitPlan {
  features: PlannedFeature[];
  tasks: TaskConfig[];
}

export interface FeatureStats {
  /** Categorical / multi-hot with a vocabulary: rows per value (multi-hot: per tag). */
  counts?: ValueCounts;
  numeric?: NumericStats;
}

export interface NumericStats extends NumericSummary {
  /** Exact sum of (v - mean)^2 over the present values. */
  squaredDeviations: ExactSum;
  /** fill: 'median' only. */
  median: number | null;
  /** Every training row holds an integer, none twice. */
  distinctIntegers: boolean;
}

export interface TaskStats extends TaskSummary {
  /** Regression: exact sum of squared deviations of the transformed target from its mean. */
  squaredDeviations?: ExactSum;
}

/** A binary task's labels against the features, for the leak check. */
export interface LeakStats {
  /** The first label that is neither positive nor negative. */
  notBinary: RowExample | null;
  /** Per feature: labelled rows and positives per value (categorical) or per missing / present (numeric); null for other kinds. */
  groups: (LabelGroups | null)[];
}

export interface FitStats {
  /** Training rows. */
  rows: number;
  features: FeatureStats[];
  tasks: TaskStats[];
  /** Per task: binary tasks whose labels could be read; null for the others. */
  leaks: (LeakStats | null)[];
}

/** The positive and negative values a binary task's fit settles on, or the other values that keep it from settling. */
export function binaryLabelSets(config: TaskConfig, summary: TaskSummary): { positive: string[]; negative: string[] } | { others: string[] } {
  if (!config.positive) return { positive: DEFAULT_POSITIVE, negative: config.negative ?? DEFAULT_NEGATIVE };
  const positive = config.positive.map(normalizeBinary);
  if (config.negative) return { positive, negative: config.negative.map(normalizeBinary) };
  const present = [...summary.firstSeen!].sort((a, b) => a[1] - b[1]).map(([v]) => v);
  const others = present.filter((v) => !positive.includes(v));
  return others.length === 1 ? { positive, negative: others } : { others };
}

/** Hashed features have no vocabulary to count. */
const hashed = (f: PlannedFeature) => !!f.cfg.hashBuckets;

interface FirstPass {
  rows: number;
  features: { counts?: ValueCounts; numeric?: NumericSummary }[];
  tasks: TaskSummary[];
}

function firstPass(parts: TrainingParts, plan: FitPlan): FirstPass {
  return parts.combine(
    (p): FirstPass => ({
      rows: p.table.numRows,
      features: plan.features.map((f) => {
        if (f.kind === 'numeric') return { numeric: summarizeNumeric(p, f.column) };
        if (f.kind === 'categorical' && !hashed(f)) return { counts: valueCounts(p, f.column) };
        if (f.kind === 'multihot' && !hashed(f)) return { counts: bagCounts(p, f.column, f.cfg.separator ?? '|') };
        return {};
      }),
      tasks: plan.tasks.map((t) => summarizeTask(p, t)),
    }),
    (a, b) => ({
      rows: a.rows + b.rows,
      features: a.features.map((x, j) => {
        const y = b.features[j];
        if (x.numeric && y.numeric) return { numeric: mergeNumeric(x.numeric, y.numeric) };
        if (x.counts && y.counts) return { counts: mergeCounts(x.counts, y.counts) };
        return {};
      }),
      tasks: a.tasks.map((x, i) => mergeTaskSummaries(x, b.tasks[i])),
    }),
  );
}

interface SecondPass {
  features: (ExactSum | null)[];
  targets: (ExactSum | null)[];
  leaks: (LeakStats | null)[];
}

/** Squared deviations from the agreed means, and labelled rows per value under the agreed binary labels. */
function secondPass(parts: TrainingParts, plan: FitPlan, first: FirstPass): SecondPass {
  const featureMeans = first.features.map((f) => (f.numeric ? meanOf(f.numeric.sum, f.numeric.present) : 0));
  const targetMeans = first.tasks.map((t) => (t.target ? meanOf(t.target.sum, t.target.present) : 0));
  const labelSets = plan.tasks.map((t, i) => {
    if (t.type !== 'binary') return null;
    const sets = binaryLabelSets(t, first.tasks[i]);
    return 'others' in sets ? null : sets;
  });
  const leakBy = plan.features.map((f) => (f.kind === 'categorical' ? 'value' : f.kind === 'numeric' ? 'missing' : null));
  const binaryTasks = labelSets.map((sets, i) => (sets ? i : -1)).filter((i) => i >= 0);
  return parts.combine(
    (p): SecondPass => {
      const labelled = binaryTasks.map((i) => binaryLabels(p, plan.tasks[i].column ?? plan.tasks[i].name, labelSets[i]!.positive, labelSets[i]!.negative));
      // Each feature's groups once, counted under every binary task's labels.
      const groups = plan.features.map((f, j) => (leakBy[j] && labelled.length ? labelGroups(p, f.column, leakBy[j]!, labelled.map((l) => l.labels)) : null));
      return {
        features: plan.features.map((f, j) => (f.kind === 'numeric' ? squaredDeviations(asNumbers(p.table.column(f.column)).values, featureMeans[j]) : null)),
        targets: plan.tasks.map((t, i) => (t.type === 'regression' ? squaredDeviations(targetValues(p, t), targetMeans[i]) : null)),
        leaks: plan.tasks.map((_, i) => {
          const b = binaryTasks.indexOf(i);
          return b < 0 ? null : { notBinary: labelled[b].notBinary, groups: groups.map((g) => (g ? g[b] : null)) };
        }),
      };
    },
    (a, b) => ({
      features: a.features.map((x, j) => (x && b.features[j] ? mergeSums(x, b.features[j]!) : null)),
      targets: a.targets.map((x, i) => (x && b.targets[i] ? mergeSums(x, b.targets[i]!) : null)),
      leaks: a.leaks.map((x, i) => {
        const y = b.leaks[i];
        if (!x || !y) return null;
        return { notBinary: firstExample(x.notBinary, y.notBinary), groups: x.groups.map((g, j) => (g && y.groups[j] ? mergeGroups(g, y.groups[j]!) : null)) };
      }),
    }),
  );
}

/** Below this many rows a column is never called id-like, so its values are never compared across parts. */
export const ID_LIKE_MIN_ROWS = 20;

/**
 * Whether each candidate column (every row an integer, distinct within each part) holds no
 * integer twice over all parts. Parts whose ranges do not overlap settle it from the ranges
 * alone (one process, or shards split by id); otherwise the candidate columns' values of
 * every part are gathered: telling disjoint sets apart exactly needs the values themselves.
 * Only integer columns with a distinct value on each row (ids, timestamps) ever get here.
 */
function distinctIntegersAcross(parts: TrainingParts, columns: readonly string[], ranges: readonly [number, number][][]): boolean[] {
  const overlapping = ranges.map((r) => {
    const sorted = [...r].sort((a, b) => a[0] - b[0]);
    return sorted.some((x, i) => i > 0 && !(sorted[i - 1][1] < x[0]));
  });
  if (!overlapping.some(Boolean)) return columns.map(() => true);
  const values = parts.combine(
    (p) => columns.map((c, j) => (overlapping[j] ? Array.from(sortedPresentOf(p, c)) : [])),
    (a, b) => a.map((x, j) => x.concat(b[j])),
  );
  return columns.map((_, j) => {
    if (!overlapping[j]) return true;
    const all = Float64Array.from(values[j]).sort();
    for (let i = 1; i < all.length; i++) if (all[i] === all[i - 1]) return false;
    return true;
  });
}

/** The statistics of every part's rows that the fit of `plan` reads. Collective over the parts. */
export function collectFitStats(parts: TrainingParts, plan: FitPlan): FitStats {
  const first = firstPass(parts, plan);
  const second = secondPass(parts, plan, first);
  const medianOf = plan.features.map((f, j) => {
    const s = first.features[j].numeric;
    return s && f.cfg.fill === 'median' && s.present > 0 ? { column: f.column, present: s.present, min: s.min!, max: s.max! } : null;
  });
  const asked = medianOf.filter((m) => m !== null);
  const medians = mediansAcross(parts, asked);
  const idCandidates = plan.features.map((_, j) => {
    const s = first.features[j].numeric;
    return s && first.rows >= ID_LIKE_MIN_ROWS && s.distinctIntegerRanges ? j : -1;
  }).filter((j) => j >= 0);
  const distinct = distinctIntegersAcross(parts, idCandidates.map((j) => plan.features[j].column), idCandidates.map((j) => first.features[j].numeric!.distinctIntegerRanges!));
  return {
    rows: first.rows,
    features: first.features.map((f, j) => {
      if (!f.numeric) return f.counts ? { counts: f.counts } : {};
      const m = medianOf[j] ? medians[asked.indexOf(medianOf[j]!)] : null;
      const d = idCandidates.indexOf(j);
      return { numeric: { ...f.numeric, squaredDeviations: second.features[j]!, median: m, distinctIntegers: d >= 0 && distinct[d] } };
    }),
    tasks: first.tasks.map((t, i) => (second.targets[i] ? { ...t, squaredDeviations: second.targets[i]! } : t)),
    leaks: second.leaks,
  };
}
