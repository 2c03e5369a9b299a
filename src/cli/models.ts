// Builds the configured architecture for the data's features and tasks. The same
// function rebuilds a saved model before its weights are loaded.
import { CGC, CrossStitch, ESMM, MMoE, PLE, SharedBottom, tasksFromData, type MultiTaskModel, type TaskSpec } from '../mtl/index.js';
import type { FeatureSpec, TaskSpec as DataTaskSpec } from '../data/index.js';
import type { Architecture, JobConfig } from './config.js';

export function buildModel(
  architecture: Architecture,
  features: FeatureSpec[],
  dataTasks: readonly DataTaskSpec[],
  config: JobConfig,
  onlyTasks?: readonly string[],
): MultiTaskModel {
  const overrides: Record<string, Partial<TaskSpec>> = {};
  // A single-task baseline's tower: baselines.towerHidden, else what the multi-task model has.
  const baselineTower = onlyTasks && typeof config.baselines === 'object' ? config.baselines.towerHidden : undefined;
  for (const t of config.tasks) {
    overrides[t.name] = {
      ...(t.weight !== undefined ? { weight: t.weight } : {}),
      ...(t.posWeight !== undefined ? { posWeight: t.posWeight } : {}),
      towerHidden: baselineTower ?? t.towerHidden ?? config.model.towerHidden,
      // The job reports AUC, logloss and F1 for every binary task.
      ...(t.type === 'binary' ? { metrics: ['auc', 'logloss', 'f1', 'accuracy'] } : {}),
      // score = 1 - RMSE/std(target): 0 is predicting the mean, so a model worse than a constant shows.
      ...(t.type === 'regression' ? { metrics: ['rmse', 'mae', 'score'] } : {}),
    };
  }
  const tasks = tasksFromData(
    dataTasks.filter((t) => !onlyTasks || onlyTasks.includes(t.name)),
    overrides,
  );
  const m = config.model;
  const common = { features, embeddingDim: m.embeddingDim, idDropout: m.idDropout, tasks };
  const hidden = m.hidden;
  const expertHidden = m.expertHidden ?? hidden;
  switch (architecture) {
    case 'shared-bottom':
      return new SharedBottom({ ...common, trunkHidden: hidden });
    case 'mmoe':
      return new MMoE({ ...common, numExperts: m.experts, expertHidden });
    case 'ple':
      return new PLE({ ...common, levels: m.levels, sharedExperts: m.experts, taskExperts: m.taskExperts, expertHidden });
    case 'cgc':
      return new CGC({ ...common, sharedExperts: m.experts, taskExperts: m.taskExperts, expertHidden });
    case 'esmm':
      return new ESMM({ ...common, trunkHidden: hidden, ctrTask: m.ctrTask, ctcvrTask: m.ctcvrTask });
    case 'cross-stitch':
      return new CrossStitch({ ...common, hidden });
  }
}
