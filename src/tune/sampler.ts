// What every search strategy answers: the parameters of trial i (trial 0 is always the
// config as given, so samplers start at 1), and which earlier trials must have finished
// before it can be drawn (none for grid and random; TPE models the finished ones).
import type { Params, Space } from './space.js';
import { gridSampler } from './grid.js';
import { randomSampler } from './random-search.js';
import { tpeSampler } from './tpe.js';

export const SEARCHES = ['random', 'grid', 'tpe'] as const;
export type SearchKind = (typeof SEARCHES)[number];

/** A finished trial as the samplers see it. */
export interface Observation {
  trial: number;
  params: Params;
  /** The scalarised validation objective (higher is better); NaN for a failed trial. */
  objective: number;
}

export interface Sampler {
  kind: SearchKind;
  /** How many trials the strategy can give at most (Infinity but for the grid), trial 0 included. */
  limit: number;
  /** The highest trial id that must be finished before trial `trial` is drawn (0: none). */
  needs(trial: number): number;
  /** The parameters of trial `trial` >= 1; `history` holds the finished trials 1..needs(trial). */
  suggest(trial: number, history: readonly Observation[]): Params;
}

export interface SamplerSettings {
  space: Space;
  seed: number;
  /** TPE: trial i models trials 1..i-lag, so its draw does not depend on which trials in flight finish first (the pool's size). */
  lag: number;
}

export function makeSampler(kind: SearchKind, s: SamplerSettings): Sampler {
  switch (kind) {
    case 'grid':
      return gridSampler(s.space);
    case 'random':
      return randomSampler(s.space, s.seed);
    case 'tpe':
      return tpeSampler(s.space, s.seed, s.lag);
  }
}
