// FAMO: Liu, Liang, Cheng, Wang, Stone and Liu, "FAMO: Fast Adaptive Multitask Optimization"
// (NeurIPS 2023). It seeks the update that decreases every task's log-loss at the same rate,
// from loss values alone: O(1) per step, no per-task gradients. Task shares z = softmax(xi)
// give the loss sum_i z_i log L_i / c (c = sum_i z_i / L_i normalises the step), whose
// gradient is sum_i (z_i / (c L_i)) grad L_i; after the step, the logits xi move against
// the observed decrease of each log-loss through the softmax Jacobian,
//   delta_i = log L_i(before) - log L_i(after),   xi <- Adam step on J_softmax' delta + gamma xi,
// so a task whose loss falls more slowly than the others gains share.
// The authors re-evaluate the losses on the same batch after the step; here the next step's
// losses stand in (no extra forward pass; the batch noise averages out over steps).
// The logged weights are T z_i / (c L_i): they sum to T.
// Hyper-parameters: `lr` (default 0.025, the logits' Adam step) and `gamma` (default 1e-3,
// the logits' weight decay), both the paper's.
import { weightedSum, type LossWeighting } from './strategy.js';
import { scaledSoftmax } from './rlw.js';

export function famo(options: { lr?: number; gamma?: number } = {}): LossWeighting & { shares(): Record<string, number> } {
  const lr = options.lr ?? 0.025;
  const gamma = options.gamma ?? 1e-3;
  const logits = new Map<string, AdamScalar>();
  let previous = new Map<string, number>();
  const logit = (t: string): AdamScalar => {
    let x = logits.get(t);
    if (!x) logits.set(t, (x = { value: 0, m: 0, v: 0, steps: 0 }));
    return x;
  };
  return {
    name: 'famo',
    combine(ctx) {
      const T = ctx.tasks.length;
      const xs = ctx.tasks.map(logit);
      // Update the shares from how each log-loss moved since the last step.
      const seen = ctx.tasks.map((t) => previous.has(t));
      if (seen.filter(Boolean).length > 1) {
        const idx = ctx.tasks.map((_, i) => i).filter((i) => seen[i]);
        const z = scaledSoftmax(idx.map((i) => xs[i].value)).map((v) => v / idx.length);
        const delta = idx.map((i) => Math.log(previous.get(ctx.tasks[i])! + 1e-8) - Math.log(ctx.lossValues[i] + 1e-8));
        const zDelta = z.reduce((s, zi, k) => s + zi * delta[k], 0);
        idx.forEach((i, k) => adamStep(xs[i], z[k] * (delta[k] - zDelta) + gamma * xs[i].value, lr));
      }
      previous = new Map(ctx.tasks.map((t, i) => [t, ctx.lossValues[i]]));
      const z = scaledSoftmax(xs.map((x) => x.value)).map((v) => v / T);
      const inverse = z.map((zi, i) => zi / (ctx.lossValues[i] + 1e-8));
      const c = inverse.reduce((a, b) => a + b, 0);
      const weights = inverse.map((v) => (T * v) / c);
      return { loss: weightedSum(ctx.losses, weights), weights };
    },
    shares: () => {
      const names = [...logits.keys()];
      const z = scaledSoftmax(names.map((t) => logits.get(t)!.value));
      return Object.fromEntries(names.map((t, i) => [t, z[i] / names.length]));
    },
  };
}

interface AdamScalar {
  value: number;
  m: number;
  v: number;
  steps: number;
}

/** One Adam step (beta 0.9 / 0.999, eps 1e-8) on a scalar with gradient g. */
function adamStep(x: AdamScalar, g: number, lr: number): void {
  x.steps++;
  x.m = 0.9 * x.m + 0.1 * g;
  x.v = 0.999 * x.v + 0.001 * g * g;
  const mHat = x.m / (1 - 0.9 ** x.steps), vHat = x.v / (1 - 0.999 ** x.steps);
  x.value -= (lr * mHat) / (Math.sqrt(vHat) + 1e-8);
}
