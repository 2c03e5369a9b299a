// A seeded shuffle that any process can compute for any row on its own: row i's place in
// the shuffled order is the order of its key, a seeded bijection of [0, 2^53) (so no two
// rows tie). A Feistel network on 54 bits (two halves of 27, four rounds) is a bijection
// whatever its round function; applying it again while the result is 2^53 or more
// ("cycle walking") keeps it one on [0, 2^53), the integers a double holds exactly.

const HALF = 2 ** 27;
const MASK = HALF - 1;
const LIMIT = 2 ** 53;

/** murmur3's 32-bit finaliser: a good mix of all the input's bits. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The round keys of a seed (any finite number; its integer part, as the Generator reads seeds). */
function roundKeys(seed: number): Uint32Array {
  if (!Number.isFinite(seed)) throw new Error(`shuffle: seed must be a finite number, got ${seed}`);
  const s = Math.floor(seed);
  const low = s >>> 0, high = Math.floor(s / 2 ** 32) >>> 0;
  return Uint32Array.from({ length: 4 }, (_, r) => mix32(low ^ mix32(high ^ Math.imul(r + 1, 0x9e3779b9))));
}

/** Row index (an integer in [0, 2^53)) to its key for `seed`: distinct rows, distinct keys. */
export function shuffleKey(seed: number): (index: number) => number {
  const keys = roundKeys(seed);
  return (index) => {
    if (!(Number.isInteger(index) && index >= 0 && index < LIMIT)) throw new Error(`shuffleKey: ${index} is not a row index`);
    // The halves stay apart while walking: a double does not hold every integer past 2^53.
    let left = Math.floor(index / HALF), right = index % HALF;
    do for (const k of keys) [left, right] = [right, (left ^ (mix32(right ^ k) & MASK)) >>> 0];
    while (left * HALF >= LIMIT);
    return left * HALF + right;
  };
}
