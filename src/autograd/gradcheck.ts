// gradcheck: autograd against central finite differences accumulated in float64.
import { Tensor } from '../tensor/tensor.js';
import { noGrad, backward } from './engine.js';
import { Generator } from '../tensor/random.js';
import { fromBuffer } from '../tensor/creation.js';

export interface GradcheckOptions {
  /** Finite-difference step (float32 forward passes want ~1e-2 .. 1e-3). */
  eps?: number;
  /** Pass when every error is at most this. */
  tolerance?: number;
  /** Check at most this many elements per input (spread evenly); default all. */
  maxElements?: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** Worst |autograd - numeric| / max(1, |numeric|) over all checked elements. */
  maxError: number;
  /** Where it occurred: which input and which flat element. */
  worst: { input: number; index: number; analytic: number; numeric: number } | null;
  checked: number;
}

/**
 * Compares autograd's gradient of L = sum(r * fn(...inputs)), r a fixed random
 * projection, with (L(x+eps) - L(x-eps)) / (2 eps) for each element of each input that
 * requires grad. Inputs must be float32 CPU tensors; they are restored afterwards.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const eps = options.eps ?? 1e-2;
  const tolerance = options.tolerance ?? 1e-2;
  const gen = new Generator(1234);
  const targets = inputs.map((x) => x.requiresGrad && x.dtype === 'float32');
  if (!targets.some(Boolean)) throw new Error('gradcheck: no input has requiresGrad set');

  // Analytic gradient through autograd.
  const leaves = inputs.map((x, i) => (targets[i] ? x.detach().requiresGrad_() : x));
  const out = fn(...leaves);
  const r = new Float32Array(out.size);
  for (let i = 0; i < r.length; i++) r[i] = gen.uniform() * 2 - 1;
  const rT = fromBuffer(r, out.shape);
  backward(out, rT);
  const analytic = leaves.map((l, i) => (targets[i] ? (l.grad ? l.grad.data() : new Float32Array(l.size)) : null));

  const objective = (): number =>
    noGrad(() => {
      const y = fn(...inputs).data();
      let s = 0;
      for (let i = 0; i < y.length; i++) s += r[i] * y[i];
      return s;
    });

  let maxError = 0;
  let worst: GradcheckResult['worst'] = null;
  let checked = 0;
  inputs.forEach((x, k) => {
    if (!targets[k]) return;
    const buf = x.buf as Float32Array;
    const n = x.size;
    const limit = options.maxElements ?? n;
    const stride = Math.max(1, Math.floor(n / limit));
    for (let i = 0; i < n; i += stride) {
      const orig = buf[i];
      buf[i] = orig + eps;
      const up = objective();
      buf[i] = orig - eps;
      const down = objective();
      buf[i] = orig;
      const numeric = (up - down) / (2 * eps);
      const a = analytic[k]![i];
      const err = Math.abs(a - numeric) / Math.max(1, Math.abs(numeric));
      checked++;
      if (err > maxError || worst === null) {
        if (err >= maxError) {
          maxError = err;
          worst = { input: k, index: i, analytic: a, numeric };
        }
      }
    }
  });
  return { ok: maxError <= tolerance, maxError, worst, checked };
}
