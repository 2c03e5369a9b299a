// gradcheck for a Module: its parameters become inputs of the checked function, swapped
// in with setTensor for each call (finite differences perturb them in place).
import * as tl from '../../src/index.js';
import type { nn } from '../../src/index.js';

export function moduleGradcheck(
  m: nn.Module,
  inputs: tl.Tensor[],
  options: tl.GradcheckOptions & { seed?: number; extra?: unknown[] } = {},
): tl.GradcheckResult {
  const named = m.namedParameters();
  const k = inputs.length;
  const fn = (...xs: tl.Tensor[]): tl.Tensor => {
    // Dropout and friends draw from the generator: the same mask on every call.
    if (options.seed !== undefined) tl.manualSeed(options.seed);
    const olds = named.map(([n], i) => m.setTensor(n, xs[k + i]));
    try {
      return m.forward(...xs.slice(0, k), ...(options.extra ?? []));
    } finally {
      named.forEach(([n], i) => m.setTensor(n, olds[i]));
    }
  };
  return tl.gradcheck(fn, [...inputs, ...named.map(([, p]) => p)], options);
}
