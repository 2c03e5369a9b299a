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
import { mgda } from './mgda.js';
import { cagrad } from './cagrad.js';
import { nashMtl } from './nash-mtl.js';
import { imtl } from './imtl.js';
import { alignedMtl } from './aligned-mtl.js';
import { famo } from './famo.js';
import { rlw } from './rlw.js';
import { gradVac } from './gradvac.js';
import { gradDrop } from './graddrop.js';
import { dbMtl } from './db-mtl.js';

export { weightedSum, type LossWeighting, type WeightingContext, type WeightingResult } from './strategy.js';
export { fixed, equal, mean, max, uncertainty, gradNorm, dwa, pcgrad, mgda, cagrad, nashMtl, imtl, alignedMtl, famo, rlw, gradVac, gradDrop, dbMtl };
export { uncertaintyLoss } from './uncertainty.js';
export { projectConflicting } from './pcgrad.js';
export { lastLayerSpan } from './gradnorm.js';
// The pure merges behind the gradient strategies, for tests and custom strategies.
export { minNormWeights, type MgdaNormalization } from './mgda.js';
export { conflictAverseWeights } from './cagrad.js';
export { bargainingWeights } from './nash-mtl.js';
export { impartialWeights } from './imtl.js';
export { alignmentMatrix } from './aligned-mtl.js';
export { raiseCosine } from './gradvac.js';
export { dropSigns } from './graddrop.js';
export { mergeSharedGradients, type SharedMerge } from './shared-gradient.js';
export { gramMatrix, weightedCombination } from './linalg.js';
// The flat-gradient arithmetic custom strategies use, from the one module that defines it.
export { dot, norm } from '../gradients.js';

const BUILT_IN: Record<string, () => LossWeighting> = {
  fixed, equal, mean, max, uncertainty, gradnorm: gradNorm, 'gradnorm-full': () => gradNorm({ layer: 'last' }), dwa, rlw, famo,
  pcgrad, gradvac: gradVac, graddrop: gradDrop, mgda, cagrad, 'nash-mtl': nashMtl, imtl, 'imtl-g': () => imtl({ lossBalance: false }), 'aligned-mtl': alignedMtl, 'db-mtl': dbMtl,
};

/** The built-in strategies' names, in the order the help lists them. */
export const weightingNames: readonly string[] = Object.keys(BUILT_IN);

/**
 * A built-in strategy by name, with its default hyper-parameters: fixed, equal, mean, max,
 * uncertainty, dwa, rlw, famo (loss values only); gradnorm, gradnorm-full, pcgrad, gradvac, graddrop, mgda,
 * cagrad, nash-mtl, imtl, imtl-g, aligned-mtl, db-mtl (per-task gradients on the shared parameters).
 */
export function weightingByName(name: string): LossWeighting {
  const make = BUILT_IN[name.toLowerCase()];
  if (!make) throw new Error(`weighting: unknown strategy '${name}' (known: ${Object.keys(BUILT_IN).join(', ')})`);
  return make();
}
