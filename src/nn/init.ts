// Weight initialisers. Each fills a tensor in place from the global generator, so
// manualSeed(n) reproduces a model's initial weights exactly.
import type { Tensor } from '../tensor/tensor.js';
import { globalGenerator } from '../tensor/random.js';
import { copyInto, fillInto } from './tensor-util.js';

export type Nonlinearity = 'linear' | 'identity' | 'conv' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
export type FanMode = 'fanIn' | 'fanOut';

/** The recommended gain for a nonlinearity (PyTorch's calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'identity':
    case 'conv':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const a = param ?? 0.01;
      return Math.sqrt(2 / (1 + a * a));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unknown nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/** fanIn and fanOut of a weight [out, in, ...kernel] (a 1-D tensor counts its length for both). */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim === 0) throw new Error(`init: cannot compute fans of a scalar tensor ${t.describe()}`);
  if (t.ndim === 1) return { fanIn: t.shape[0], fanOut: t.shape[0] };
  let receptive = 1;
  for (let i = 2; i < t.ndim; i++) receptive *= t.shape[i];
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

function fillWith(t: Tensor, draw: () => number): Tensor {
  if (t.dtype !== 'float32') throw new Error(`init: ${t.describe()} must be float32, got ${t.dtype}`);
  const values = new Float32Array(t.size);
  for (let i = 0; i < values.length; i++) values[i] = draw();
  copyInto(t, values, 'init');
  return t;
}

export function uniform_(t: Tensor, lo = 0, hi = 1): Tensor {
  if (!(hi >= lo)) throw new Error(`uniform_: need lo <= hi, got ${lo} and ${hi}`);
  return fillWith(t, () => lo + (hi - lo) * globalGenerator.uniform());
}

export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  if (!(std >= 0)) throw new Error(`normal_: std must be >= 0, got ${std}`);
  return fillWith(t, () => mean + std * globalGenerator.normal());
}

export function constant_(t: Tensor, value: number): Tensor {
  fillInto(t, value);
  return t;
}

export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (0 for ReLU). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, { a = 0, mode = 'fanIn', nonlinearity = 'leaky_relu' }: KaimingOptions): number {
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new Error(`kaiming: mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  const f = fans(t);
  const fan = mode === 'fanIn' ? f.fanIn : f.fanOut;
  if (fan === 0) return 0;
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/** He uniform: U(-b, b) with b = gain * sqrt(3 / fan). */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform_(t, -bound, bound);
}

/** He normal: N(0, gain^2 / fan). */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, options));
}

/** Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, { gain = 1 }: { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = fans(t);
  const bound = gain * Math.sqrt(6 / Math.max(1, fanIn + fanOut));
  return uniform_(t, -bound, bound);
}

/** Glorot normal: N(0, gain^2 * 2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, { gain = 1 }: { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = fans(t);
  return normal_(t, 0, gain * Math.sqrt(2 / Math.max(1, fanIn + fanOut)));
}
