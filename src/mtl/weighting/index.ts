// The loss-weighting strategies, one file each, over the interface in strategy.ts; and the
// built-ins by name (for configs and the CLI).
import type { LossWeighting } from './strategy.js';
import { fixed } from './fixed.js';
import { equal } from './equal.js';
import { mean } from './mean.js';
import { max } from './max.js';
import { uncertainty } from './uncertainty.js';
import { gradNorm } from './gradnorm.js';
import { dwa } from './dwa.js';
import { pcgrad } from './pcgrad.js';

export { weightedSum, type LossWeighting, type WeightingContext, type WeightingResult } from './strategy.js';
export { fixed, equal, mean, max, uncertainty, gradNorm, dwa, pcgrad };
export { uncertaintyLoss } from './uncertainty.js';
export { projectConflicting } from './pcgrad.js';
// The flat-gradient arithmetic custom strategies use, from the one module that defines it.
export { dot, norm } from '../gradients.js';

const BUILT_IN: Record<string, () => LossWeighting> = { fixed, equal, mean, max, uncertainty, gradnorm: gradNorm, dwa, pcgrad };

/** A built-in strategy by name: fixed, equal, mean, max, uncertainty, gradnorm, dwa, pcgrad. */
export function weightingByName(name: string): LossWeighting {
  const make = BUILT_IN[name.toLowerCase()];
  if (!make) throw new Error(`weighting: unknown strategy '${name}' (known: ${Object.keys(BUILT_IN).join(', ')})`);
  return make();
}
