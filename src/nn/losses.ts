// nn.losses: the library's losses (src/ops/loss.ts) under the nn namespace, as
// torch.nn.functional holds them. One definition each; nothing is renamed here.
export { crossEntropy, bceWithLogits, mse, huber } from '../ops/loss.js';
export type { CrossEntropyOptions, BceWithLogitsOptions, RegressionLossOptions, Reduction } from '../ops/loss.js';
