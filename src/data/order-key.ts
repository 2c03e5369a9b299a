// The total order a typed-array sort puts doubles in (-0 before +0; NaN left out), as
// unsigned 64-bit keys: the keys of -Infinity .. +Infinity are one contiguous range, so a
// binary search over keys finds any order statistic, one count per step.

const word = new Float64Array(1);
const bits = new BigUint64Array(word.buffer);
const SIGN = 1n << 63n;
const ALL = (1n << 64n) - 1n;

export function orderKey(x: number): bigint {
  word[0] = x;
  const b = bits[0];
  return b & SIGN ? ~b & ALL : b | SIGN;
}

export function fromOrderKey(key: bigint): number {
  bits[0] = key & SIGN ? key & ~SIGN : ~key & ALL;
  return word[0];
}

/** a before b in key order (a < b, or -0 before +0). */
export function keyLess(a: number, b: number): boolean {
  return a < b || (a === 0 && b === 0 && Object.is(a, -0) && Object.is(b, 0));
}

/** How many of the sorted values (Float64Array.prototype.sort order, no NaN) come at or before x in key order. */
export function countAtMost(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keyLess(x, sorted[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The present (non-NaN) values, sorted in key order. */
export function sortedPresent(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (const v of values) if (!Number.isNaN(v)) out[n++] = v;
  return out.slice(0, n).sort();
}
