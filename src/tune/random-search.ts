// Random search: trial i's parameters are drawn from a generator seeded by (--seed, i)
// alone, so a trial draws the same point whatever order trials run or finish in.
import { samplePoint, trialRng, type Space } from './space.js';
import type { Sampler } from './sampler.js';

export const RANDOM_STREAM = 1;

export function randomSampler(space: Space, seed: number): Sampler {
  return {
    kind: 'random',
    limit: Infinity,
    needs: () => 0,
    suggest: (trial) => samplePoint(space, trialRng(seed, trial, RANDOM_STREAM)),
  };
}
