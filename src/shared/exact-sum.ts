// Exact sums of doubles, rounded once. Every finite double is an integer multiple of
// 2^-1074 below 2^2098, so a fixed array of 32-bit limbs holds any sum of them exactly (a
// "superaccumulator"): adding is exact, so sums of parts merge to the same bits in any
// order and any split, and the mean and variance a fit derives from them do not depend on
// how the rows were divided among processes (unlike a running float sum).

/** A sum of doubles, held exactly. JSON-safe: plain finite numbers only. */
export interface ExactSum {
  /** Limb i holds bits [32 i, 32 i + 32) of the signed sum in units of 2^-1074; all but the last in [0, 2^32) once normalised. */
  limbs: number[];
  /** How many +Infinity, -Infinity and NaN values were added (they are not in the limbs). */
  posInf: number;
  negInf: number;
  nan: number;
}

/** 2098 bits of magnitude, 53 more of count (2^53 values), and a sign limb. */
const LIMBS = 68;
const LIMB = 2 ** 32;
/** Each add moves a limb by < 2^33; a limb stays exact below 2^53, so carry before 2^20 adds. */
const ADDS_BEFORE_CARRY = 1 << 19;

const word = new Float64Array(1);
const halves = new Uint32Array(word.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** Accumulates doubles into an ExactSum (a NaN makes the sum NaN, as in IEEE addition). */
export class ExactSumBuilder {
  private readonly limbs = new Float64Array(LIMBS);
  private posInf = 0;
  private negInf = 0;
  private nan = 0;
  private pending = 0;

  add(v: number): void {
    if (v === Infinity) return void this.posInf++;
    if (v === -Infinity) return void this.negInf++;
    if (Number.isNaN(v)) return void this.nan++;
    word[0] = v;
    const hi = halves[HI];
    const lo = halves[LO];
    const biased = (hi >>> 20) & 0x7ff;
    // |v| = M * 2^(shift - 1074), M = mh * 2^32 + lo < 2^53.
    const mh = (hi & 0xfffff) | (biased ? 0x100000 : 0);
    if (mh === 0 && lo === 0) return;
    const shift = biased ? biased - 1 : 0;
    const at = shift >>> 5;
    const r = shift & 31;
    const sign = hi >>> 31 ? -1 : 1;
    const limbs = this.limbs;
    limbs[at] += sign * ((lo << r) >>> 0);
    limbs[at + 1] += sign * ((r ? lo >>> (32 - r) : 0) + ((mh << r) >>> 0));
    limbs[at + 2] += sign * (r ? mh >>> (32 - r) : 0);
    if (++this.pending === ADDS_BEFORE_CARRY) {
      carry(limbs);
      this.pending = 0;
    }
  }

  finish(): ExactSum {
    carry(this.limbs);
    this.pending = 0;
    return { limbs: Array.from(this.limbs), posInf: this.posInf, negInf: this.negInf, nan: this.nan };
  }
}

/** The exact sum of the present (non-NaN) values. */
export function exactSum(values: Iterable<number>): ExactSum {
  const b = new ExactSumBuilder();
  for (const v of values) if (!Number.isNaN(v)) b.add(v);
  return b.finish();
}

export function emptySum(): ExactSum {
  return { limbs: new Array<number>(LIMBS).fill(0), posInf: 0, negInf: 0, nan: 0 };
}

/** a + b, exactly. */
export function mergeSums(a: ExactSum, b: ExactSum): ExactSum {
  const limbs = new Float64Array(LIMBS);
  for (let i = 0; i < LIMBS; i++) limbs[i] = a.limbs[i] + b.limbs[i];
  carry(limbs);
  return { limbs: Array.from(limbs), posInf: a.posInf + b.posInf, negInf: a.negInf + b.negInf, nan: a.nan + b.nan };
}

/** The sum rounded to the nearest double (ties to even); +-Infinity and NaN as IEEE addition gives them. */
export function roundedSum(s: ExactSum): number {
  return roundedQuotient(s, 1);
}

/** The sum divided by a positive integer n, rounded once to the nearest double (ties to even). */
export function roundedQuotient(s: ExactSum, n: number): number {
  if (s.nan || (s.posInf && s.negInf)) return NaN;
  if (s.posInf) return Infinity;
  if (s.negInf) return -Infinity;
  const x = toBigInt(s.limbs);
  if (x === 0n) return 0;
  const magnitude = x < 0n ? -x : x;
  let result: number;
  if (n === 1) result = roundScaled(magnitude, -1074);
  else {
    // Enough extra bits that the quotient's last bit lies far below the rounding bit; a
    // non-zero remainder is kept as a sticky bit so halfway cases are not mistaken.
    const extra = 128n + BigInt(n.toString(2).length);
    const divisor = BigInt(n);
    const scaled = magnitude << extra;
    const q = scaled / divisor;
    const sticky = scaled % divisor === 0n ? 0n : 1n;
    result = roundScaled((q << 1n) | sticky, -1074 - Number(extra) - 1);
  }
  return x < 0n ? -result : result;
}

/** Limbs as one exact integer (units of 2^-1074). */
function toBigInt(limbs: readonly number[]): bigint {
  let x = 0n;
  for (let i = limbs.length - 1; i >= 0; i--) x = (x << 32n) + BigInt(limbs[i]);
  return x;
}

/** Carries every limb into [0, 2^32) but the last, which keeps the sign. */
function carry(limbs: Float64Array): void {
  for (let i = 0; i < limbs.length - 1; i++) {
    const c = Math.floor(limbs[i] / LIMB);
    if (c !== 0) {
      limbs[i] -= c * LIMB;
      limbs[i + 1] += c;
    }
  }
}

/** q * 2^e (q > 0) rounded to the nearest double, ties to even, subnormals and overflow included. */
function roundScaled(q: bigint, e: number): number {
  const bits = q.toString(2).length;
  // Drop the bits below the double's last place at this magnitude (53 bits, or the subnormal grid at 2^-1074).
  const drop = Math.max(bits - 53, -1074 - e, 0);
  let mantissa = q >> BigInt(drop);
  if (drop > 0) {
    const rest = q - (mantissa << BigInt(drop));
    const half = 1n << BigInt(drop - 1);
    if (rest > half || (rest === half && (mantissa & 1n) === 1n)) mantissa++;
  }
  return scaleByPowerOfTwo(Number(mantissa), e + drop);
}

/** m * 2^k for an integer m < 2^54 whose result is a double (or overflows): exact, in steps that stay in range. */
function scaleByPowerOfTwo(m: number, k: number): number {
  while (k > 1000) {
    m *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    m *= 2 ** -1000;
    k += 1000;
  }
  return m * 2 ** k;
}
