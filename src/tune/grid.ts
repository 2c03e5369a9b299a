// Grid search: every combination of the parameters' values, in a fixed order: the first
// parameter of the space file varies slowest, the last fastest (nested loops in the file's
// order). Only lists of choices and integer ranges have a grid; a continuous range is an error.
import { discreteValues, isDiscrete, type Params, type Space } from './space.js';
import type { Sampler } from './sampler.js';

/** The number of combinations; an error names a continuous parameter. */
export function gridSize(space: Space): number {
  let n = 1;
  for (const p of space.params) {
    if (!isDiscrete(p.spec)) throw new Error(`--search grid: '${p.path}' is a continuous ${p.spec.kind} range; give it a list of values or an int range, or use --search random or tpe`);
    n *= discreteValues(p.spec).length;
  }
  return n;
}

/** Combination `index` (0-based) of the grid. */
export function gridPoint(space: Space, index: number): Params {
  const out: Params = {};
  let rest = index;
  for (let k = space.params.length - 1; k >= 0; k--) {
    const values = discreteValues(space.params[k].spec);
    out[space.params[k].path] = values[rest % values.length];
    rest = Math.floor(rest / values.length);
  }
  // In the space file's order.
  return Object.fromEntries(space.params.map((p) => [p.path, out[p.path]]));
}

export function gridSampler(space: Space): Sampler {
  const size = gridSize(space);
  return {
    kind: 'grid',
    limit: 1 + size,
    needs: () => 0,
    suggest: (trial) => {
      if (trial < 1 || trial > size) throw new Error(`grid: trial ${trial} is outside the grid of ${size} combinations`);
      return gridPoint(space, trial - 1);
    },
  };
}
