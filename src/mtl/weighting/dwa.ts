// Dynamic Weight Average: Liu, Johns and Davison, "End-to-End Multi-Task Learning with
// Attention" (CVPR 2019). w_i = K softmax_i(r_i / temperature) with r_i = L_i(e-1) / L_i(e-2)
// from the mean training losses of the last two epochs (every weight 1 before that), so a
// task whose loss stopped falling gets more weight. Needs no gradients.
// Hyper-parameter: `temperature` (default 2, as in the paper; larger is closer to equal weights).
import { weightedSum, type LossWeighting } from './strategy.js';

export function dwa(options: { temperature?: number } = {}): LossWeighting {
  const temperature = options.temperature ?? 2;
  const past: Record<string, number>[] = [];
  let w = new Map<string, number>();
  return {
    name: 'dwa',
    combine(ctx) {
      const weights = ctx.tasks.map((t) => w.get(t) ?? 1);
      return { loss: weightedSum(ctx.losses, weights), weights };
    },
    epochEnd(meanLosses) {
      past.push({ ...meanLosses });
      if (past.length < 2) return;
      const [a, b] = past.slice(-2);
      const tasks = Object.keys(b).filter((t) => t in a && a[t] > 0);
      const r = tasks.map((t) => b[t] / a[t] / temperature);
      const m = Math.max(...r);
      const e = r.map((x) => Math.exp(x - m));
      const s = e.reduce((x, y) => x + y, 0);
      w = new Map(tasks.map((t, i) => [t, (tasks.length * e[i]) / s]));
    },
  };
}
