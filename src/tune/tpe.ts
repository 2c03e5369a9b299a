// TPE (tree-structured Parzen estimator, Bergstra et al. 2011), one parameter at a time as
// Optuna's default TPE does. After `startup` random trials, the finished trials are split
// by the scalarised objective into the best `gamma` share ("good") and the rest ("bad").
// Per parameter, a Parzen estimator is fitted to each group: l(x) on the good values, g(x)
// on the bad, each a mixture of one truncated Gaussian per observed value plus a wide prior
// over the whole range (categories: counts plus one). `candidates` values are drawn from
// l(x) and the one with the largest l(x)/g(x) is taken. Each trial's draws come from a
// generator seeded by (--seed, trial), and trial i models trials 1..i-lag only, so the same
// finished results give the same draw whichever trials happened to finish first.
import { Generator } from '../tensor/random.js';
import { roundInRange, samplePoint, trialRng, type Param, type ParamSpec, type Params, type Space } from './space.js';
import type { Observation, Sampler } from './sampler.js';

export interface TpeOptions {
  /** Random trials before the model is used (default 10). */
  startup?: number;
  /** The share of trials that count as good (default 0.25). */
  gamma?: number;
  /** Values drawn from l(x) per parameter (default 24). */
  candidates?: number;
}

const TPE_STREAM = 2;

export function tpeSampler(space: Space, seed: number, lag: number, options: TpeOptions = {}): Sampler {
  return {
    kind: 'tpe',
    limit: Infinity,
    needs: (trial) => Math.max(0, trial - Math.max(1, lag)),
    suggest: (trial, history) => tpeSuggest(space, history, trialRng(seed, trial, TPE_STREAM), options),
  };
}

/** The next point for `history` (higher objective is better; non-finite objectives count as the worst). */
export function tpeSuggest(space: Space, history: readonly Observation[], rng: Generator, options: TpeOptions = {}): Params {
  const startup = options.startup ?? 10;
  const gamma = options.gamma ?? 0.25;
  const candidates = options.candidates ?? 24;
  if (history.length < startup) return samplePoint(space, rng);
  const score = (o: Observation) => (Number.isFinite(o.objective) ? o.objective : -Infinity);
  // Ties keep the trial order, so the split is deterministic.
  const sorted = [...history].sort((a, b) => score(b) - score(a) || a.trial - b.trial);
  const nGood = Math.max(1, Math.ceil(gamma * sorted.length));
  const good = sorted.slice(0, nGood);
  const bad = sorted.slice(nGood);
  const out: Params = {};
  for (const p of space.params) out[p.path] = suggestOne(p, good.map((o) => o.params[p.path]), bad.map((o) => o.params[p.path]), rng, candidates);
  return out;
}

function suggestOne(p: Param, good: unknown[], bad: unknown[], rng: Generator, candidates: number): unknown {
  const spec = p.spec;
  if (spec.kind === 'choice') return suggestChoice(spec.values, good, bad, rng, candidates);
  const { lo, hi, toInternal, fromInternal } = internal(spec);
  const l = parzen(good.map(Number).filter(Number.isFinite).map(toInternal).filter((x) => x >= lo && x <= hi), lo, hi);
  const g = parzen(bad.map(Number).filter(Number.isFinite).map(toInternal).filter((x) => x >= lo && x <= hi), lo, hi);
  let best = NaN;
  let bestScore = -Infinity;
  for (let c = 0; c < candidates; c++) {
    let x = sampleParzen(l, lo, hi, rng);
    if (spec.kind === 'int') x = Math.min(spec.hi, Math.max(spec.lo, Math.round(x)));
    const s = Math.log(density(l, x, lo, hi)) - Math.log(density(g, x, lo, hi));
    if (s > bestScore || Number.isNaN(best)) {
      best = x;
      bestScore = s;
    }
  }
  return spec.kind === 'int' ? best : roundInRange(fromInternal(best), spec.lo, spec.hi);
}

/** Categories: l and g are the counts plus one (a uniform prior); draw from l, keep the best l/g. */
function suggestChoice(values: unknown[], good: unknown[], bad: unknown[], rng: Generator, candidates: number): unknown {
  const keys = values.map((v) => JSON.stringify(v));
  const counts = (obs: unknown[]) => {
    const c = keys.map(() => 1);
    for (const o of obs) {
      const k = keys.indexOf(JSON.stringify(o));
      if (k >= 0) c[k]++;
    }
    const total = c.reduce((a, b) => a + b, 0);
    return c.map((x) => x / total);
  };
  const l = counts(good);
  const g = counts(bad);
  let best = -1;
  let bestScore = -Infinity;
  for (let c = 0; c < candidates; c++) {
    let u = rng.uniform();
    let k = 0;
    while (k < l.length - 1 && u >= l[k]) u -= l[k++];
    const s = Math.log(l[k]) - Math.log(g[k]);
    if (s > bestScore) {
      best = k;
      bestScore = s;
    }
  }
  return values[best];
}

/** The search coordinates of a numeric parameter: log for log ranges, integers widened by half a step. */
function internal(spec: Exclude<ParamSpec, { kind: 'choice' }>) {
  if (spec.kind === 'log') return { lo: Math.log(spec.lo), hi: Math.log(spec.hi), toInternal: Math.log, fromInternal: Math.exp };
  const pad = spec.kind === 'int' ? 0.5 : 0;
  const id = (x: number) => x;
  return { lo: spec.lo - pad, hi: spec.hi + pad, toInternal: id, fromInternal: id };
}

interface Mixture {
  mus: number[];
  sigmas: number[];
}

/**
 * One Gaussian per observation, its width the larger gap to its neighbours (the range's ends
 * count as neighbours), kept within [range / min(100, n + 1), range]; plus the prior, a
 * Gaussian at the middle as wide as the range.
 */
function parzen(xs: number[], lo: number, hi: number): Mixture {
  const width = hi - lo || 1;
  const sorted = [...xs].sort((a, b) => a - b);
  const minSigma = width / Math.min(100, sorted.length + 1);
  const mus = [(lo + hi) / 2];
  const sigmas = [width];
  sorted.forEach((x, i) => {
    const left = x - (i > 0 ? sorted[i - 1] : lo);
    const right = (i < sorted.length - 1 ? sorted[i + 1] : hi) - x;
    mus.push(x);
    sigmas.push(Math.min(width, Math.max(minSigma, left, right)));
  });
  return { mus, sigmas };
}

const SQRT2 = Math.SQRT2;

/** The standard normal CDF (Abramowitz and Stegun 7.1.26 for erf; error below 1.5e-7). */
function phi(z: number): number {
  const x = Math.abs(z) / SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** The mixture's density at x, each component truncated to [lo, hi]. */
function density(m: Mixture, x: number, lo: number, hi: number): number {
  let sum = 0;
  for (let j = 0; j < m.mus.length; j++) {
    const s = m.sigmas[j];
    const z = (x - m.mus[j]) / s;
    const mass = phi((hi - m.mus[j]) / s) - phi((lo - m.mus[j]) / s);
    sum += Math.exp(-0.5 * z * z) / (s * Math.sqrt(2 * Math.PI) * Math.max(mass, 1e-12));
  }
  return Math.max(sum / m.mus.length, 1e-300);
}

/** A draw from the mixture (components equally likely), truncated to [lo, hi] by rejection. */
function sampleParzen(m: Mixture, lo: number, hi: number, rng: Generator): number {
  const j = rng.int(0, m.mus.length);
  for (let tries = 0; tries < 100; tries++) {
    const x = m.mus[j] + m.sigmas[j] * rng.normal();
    if (x >= lo && x <= hi) return x;
  }
  return Math.min(hi, Math.max(lo, m.mus[j]));
}
