// The pipeline's fit from statistics that merge across parts of the training rows: exact
// sums rounded once, medians by a search over order keys, and the fit of a table split at
// random into 1..5 parts (rows shuffled inside each part) equal to the fit of the whole, to
// the last bit, including its warnings and its errors.
import test from 'ava';
import { FeaturePipeline, Table, readCsvString, type Column, type FitOptions } from '../src/data/index.js';
import { emptySum, exactSum, mergeSums, roundedQuotient, roundedSum } from '../src/shared/exact-sum.js';
import { fromOrderKey, orderKey } from '../src/data/order-key.js';
import { mediansAcross } from '../src/data/order-statistic.js';
import { partsInProcess, parseExactJson, stringifyExactJson, wholeTable } from '../src/data/training-parts.js';

/** A small deterministic generator (LCG). */
function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** The table's rows dealt at random into k parts, each part's rows shuffled; every row keeps its place in the whole as its key. */
function randomParts(table: Table, k: number, seed: number) {
  const r = rng(seed);
  const rows: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < table.numRows; i++) rows[Math.floor(r() * k)].push(i);
  for (const p of rows)
    for (let i = p.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [p[i], p[j]] = [p[j], p[i]];
    }
  return partsInProcess(rows.map((p) => ({ table: table.select(p), rowKeys: p })));
}

/** The fit of the whole table, as JSON with its warnings, or the error it throws. */
function fitOutcome(fit: () => FeaturePipeline): unknown {
  try {
    const p = fit();
    return { pipeline: p.toJSON(), warnings: p.warnings };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function sameFitOverParts(t: import('ava').ExecutionContext, table: Table, options: FitOptions, what: string): void {
  const whole = fitOutcome(() => FeaturePipeline.fit(table, options));
  for (let k = 1; k <= 5; k++)
    for (const seed of [1, 2, 3]) t.deepEqual(fitOutcome(() => FeaturePipeline.fitParts(randomParts(table, k, seed * 10 + k), options)), whole, `${what}: ${k} parts, seed ${seed}`);
}

const numeric = (name: string, values: number[]): Column => ({ name, type: 'numeric', values: Float64Array.from(values), invalid: 0 });

// ---- exact sums --------------------------------------------------------------------------

test('exact sums: correctly rounded, whatever the order and the split', (t) => {
  t.is(roundedSum(exactSum(Array(10).fill(0.1))), 1);
  t.is(roundedSum(exactSum([1e100, 1, -1e100])), 1);
  t.is(roundedSum(exactSum([1e308, 1e308, -1e308])), 1e308, 'no overflow on the way');
  t.is(roundedSum(exactSum([5e-324, 5e-324, 5e-324])), 3 * 5e-324, 'subnormals');
  t.is(roundedSum(exactSum([2 ** 53, 1])), 2 ** 53, 'a tie rounds to even');
  t.is(roundedSum(exactSum([2 ** 53, 1, 2 ** -60])), 2 ** 53 + 2, 'just above the tie rounds up');
  t.is(roundedSum(exactSum([1e308, 1e308])), Infinity, 'a sum beyond the largest double');
  t.is(roundedQuotient(exactSum([0.1, 0.2, 0.3]), 3), 0.2, 'the mean rounded once (a float sum gives 0.20000000000000004)');
  t.is(roundedQuotient(exactSum([1e16, 1, -1e16, 3.3, 1e-20]), 5), 0.86);
  t.is(roundedSum(exactSum([Infinity, 1])), Infinity);
  t.true(Number.isNaN(roundedSum(exactSum([Infinity, -Infinity]))));
  t.is(roundedSum(exactSum([NaN, 2])), 2, 'NaN is a missing value');

  const r = rng(5);
  const values = Array.from({ length: 3000 }, () => (r() - 0.5) * 2 ** Math.floor(r() * 400 - 200) * (r() < 0.1 ? 2 ** 700 : 1));
  const whole = exactSum(values);
  for (let k = 2; k <= 5; k++) {
    const parts: number[][] = Array.from({ length: k }, () => []);
    for (const v of values) parts[Math.floor(r() * k)].push(v);
    const merged = parts.map((p) => exactSum(p.reverse())).reduce(mergeSums, emptySum());
    t.deepEqual(merged, whole, `${k} parts`);
  }
});

test('exact JSON keeps -0, NaN and the infinities', (t) => {
  const back = parseExactJson<number[]>(stringifyExactJson([-0, NaN, Infinity, -Infinity, 1.5, 0]));
  t.true(Object.is(back[0], -0));
  t.true(Number.isNaN(back[1]));
  t.deepEqual(back.slice(2), [Infinity, -Infinity, 1.5, 0]);
});

// ---- medians -----------------------------------------------------------------------------

test('order keys sort doubles as a typed-array sort does, and medians over parts are the sorted middle', (t) => {
  const xs = [-Infinity, -1e300, -1, -5e-324, -0, 0, 5e-324, 1, 1e300, Infinity];
  const keys = xs.map(orderKey);
  for (let i = 1; i < keys.length; i++) t.true(keys[i - 1] < keys[i], `${xs[i - 1]} before ${xs[i]}`);
  t.true(xs.every((x) => Object.is(fromOrderKey(orderKey(x)), x)));

  const r = rng(9);
  for (const n of [1, 2, 3, 4, 10, 11, 101, 1000]) {
    // Few distinct values, so the middle often repeats; some missing.
    const values = Array.from({ length: n }, () => (r() < 0.1 ? NaN : Math.floor(r() * 7) - 3 + (r() < 0.3 ? 0.5 : 0)));
    const table = new Table([numeric('x', values)], new Int32Array(n));
    const present = Float64Array.from(values.filter((v) => !Number.isNaN(v))).sort();
    const m = present.length;
    if (!m) continue;
    const expected = m % 2 ? present[(m - 1) / 2] : (present[m / 2 - 1] + present[m / 2]) / 2;
    for (let k = 1; k <= 5; k++) {
      const [median] = mediansAcross(randomParts(table, k, n + k), [{ column: 'x', present: m, min: present[0], max: present[m - 1] }]);
      t.is(median, expected, `n ${n}, ${k} parts`);
    }
  }
});

// ---- the fit over parts equals the fit of the whole --------------------------------------

/** Awkward numeric columns and labels: all-missing, constant, huge and tiny magnitudes, ties, ids. */
function awkwardTable(n: number, seed: number): Table {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const ids = Array.from({ length: n }, (_, i) => 5000 + i * 3);
  return Table.fromColumns(
    {
      empty: Array.from({ length: n }, () => null),
      constant: Array.from({ length: n }, () => 7),
      // Sums a float accumulator gets differently in every order.
      wide: Array.from({ length: n }, () => (r() < 0.1 ? null : pick([1e16, -1e16, 1, 3.3, 1e-20, -2.5e-8, 0.1]) * (1 + Math.floor(r() * 5)))),
      huge: Array.from({ length: n }, () => pick([1e300, -1e300, 1e-300, 5e-324, 1.5])),
      small: Array.from({ length: n }, () => (r() < 0.2 ? null : Math.floor(r() * 4))),
      serial: ids,
      ties: Array.from({ length: n }, () => pick(['a', 'b', 'c', 'd', 'e'])),
      tags: Array.from({ length: n }, () => `${pick(['x', 'y', 'z'])}|${pick(['x', 'w'])}`),
      label: Array.from({ length: n }, () => (r() < 0.1 ? null : pick(['yes', 'no']))),
      kind: Array.from({ length: n }, () => pick(['10', '9', '5a', 'b', '01', '1'])),
      amount: Array.from({ length: n }, () => (r() < 0.1 ? null : Math.exp(r() * 10) - 1)),
    },
    { types: { tags: 'multihot', kind: 'categorical' }, file: 'awkward.csv' },
  );
}

const awkwardTasks: FitOptions['tasks'] = [
  { name: 'label', type: 'binary' },
  { name: 'kind', type: 'multiclass' },
  { name: 'amount', type: 'regression', transform: 'log1p' },
];

test('fit over 1..5 random parts equals the fit of the whole: defaults, medians, min-max, ties, ids, classes, log1p targets', (t) => {
  for (const n of [1, 2, 7, 40, 301]) {
    const table = awkwardTable(n, n);
    sameFitOverParts(t, table, { tasks: awkwardTasks, defaults: { minCount: 1 } }, `${n} rows, defaults`);
    sameFitOverParts(
      t,
      table,
      {
        tasks: awkwardTasks,
        features: [
          { name: 'empty', kind: 'numeric', fill: 'median' },
          { name: 'wide', fill: 'median' },
          { name: 'wide_minmax', column: 'wide', scale: 'minmax' },
          { name: 'small', fill: 'median', missingFlag: true },
          { name: 'huge', fill: 'median' },
          { name: 'serial' },
          { name: 'ties', minCount: 1, maxVocab: 3 },
          { name: 'tags', minCount: 2 },
          { name: 'hashed', column: 'ties', kind: 'categorical', hashBuckets: 8 },
        ],
      },
      `${n} rows, listed features`,
    );
  }
});

test('fit over parts: infinities, -0 and NaN in a numeric column', (t) => {
  const values = [Infinity, 1, -0, 0, NaN, 2.5, -0, 1e-310, 3];
  const n = values.length;
  const table = new Table([numeric('x', values), numeric('y', values.map((v) => (v === Infinity ? 4 : v)))], new Int32Array(n), 'inf.csv');
  sameFitOverParts(t, table, { features: [{ name: 'x', fill: 'median' }, { name: 'y', fill: 'median', scale: 'minmax' }] }, 'infinities');
  // y's present values in order: -0, -0, 0, 1e-310, 1, 2.5, 3, 4; the median is the mean of the middle two.
  const y = FeaturePipeline.fit(table, { features: [{ name: 'y', fill: 'median', scale: 'none' }] }).features[0];
  t.true(y.kind === 'numeric' && y.fill === (1e-310 + 1) / 2);
});

test('fit over parts: an id-like column is warned about whether its values sit in separate ranges per part or interleave; one repeat anywhere and it is not', (t) => {
  const n = 60;
  const distinct = Table.fromColumns({ serial: Array.from({ length: n }, (_, i) => 100 + i), y: Array.from({ length: n }, (_, i) => (i % 3 ? 'yes' : 'no')) });
  const repeated = Table.fromColumns({ serial: Array.from({ length: n }, (_, i) => (i === 59 ? 100 : 100 + i)), y: Array.from({ length: n }, (_, i) => (i % 3 ? 'yes' : 'no')) });
  const options: FitOptions = { tasks: [{ name: 'y', type: 'binary' }] };
  t.regex(FeaturePipeline.fit(distinct, options).warnings.join('\n'), /numeric with a distinct integer on each of its 60 training rows/);
  t.notRegex(FeaturePipeline.fit(repeated, options).warnings.join('\n'), /distinct integer/);
  sameFitOverParts(t, distinct, options, 'distinct, interleaved parts');
  sameFitOverParts(t, repeated, options, 'one repeat');
  // Contiguous parts: their ranges do not overlap, so no part's values are compared with another's.
  const halves = [0, 1].map((h) => Int32Array.from({ length: n / 2 }, (_, i) => h * (n / 2) + i));
  const contiguous = partsInProcess(halves.map((rows) => ({ table: distinct.select(rows), rowKeys: rows })));
  t.deepEqual(FeaturePipeline.fitParts(contiguous, options).warnings, FeaturePipeline.fit(distinct, options).warnings);
});

test('fit over parts: warnings and errors quote the first row of the whole table, in the order one process meets them', async (t) => {
  // A numeric column read with a few text cells (counted by the reader), and a declared-numeric text column.
  const lines = ['price,size,flag,y,target'];
  for (let i = 0; i < 80; i++) lines.push(`${i === 30 ? 'n/a' : i * 1.5},${i % 9 === 4 ? 'big' : i},${i < 40 ? 'on' : 'off'},${i % 2 ? 'Yes' : 'no'},${i / 7}`);
  const table = await readCsvString(lines.join('\n'), { name: 'shop.csv' });
  const tasks: FitOptions['tasks'] = [{ name: 'y', type: 'binary' }, { name: 'target', type: 'regression' }];
  sameFitOverParts(t, table, { tasks, features: [{ name: 'price' }, { name: 'size', kind: 'numeric', fill: 'median' }, { name: 'flag' }] }, 'cell warnings');
  const warnings = FeaturePipeline.fit(table, { tasks, features: [{ name: 'price' }, { name: 'size', kind: 'numeric' }] }).warnings;
  t.deepEqual(warnings, [
    "shop.csv, column 'price': 1 cells are not numbers (e.g. 'n/a' on line 32); they are treated as missing (filled with the training mean)",
    "shop.csv, column 'size': 9 cells are not numbers (e.g. 'big' on line 6); they are treated as missing (filled with the training mean)",
  ]);
  // Errors: binary labels with only 'positive' and several others (listed in order of first row), a bad log1p label, a non-binary label.
  const bad = Table.fromColumns({
    x: Array.from({ length: 30 }, (_, i) => i % 4),
    y: Array.from({ length: 30 }, (_, i) => ['ok', 'no', 'maybe', 'later', 'no'][i % 5]),
    z: Array.from({ length: 30 }, (_, i) => (i === 17 ? -3 : i === 23 ? -2 : i)),
    w: Array.from({ length: 30 }, (_, i) => (i === 11 ? 'perhaps' : i % 2 ? 'yes' : 'no')),
  }, { file: 'bad.csv' });
  const cases: [FitOptions, RegExp][] = [
    [{ tasks: [{ name: 'y', type: 'binary', positive: ['ok'] }] }, /holds 3 other values \(no, maybe, later\); give 'negative' too/],
    [{ tasks: [{ name: 'z', type: 'regression', transform: 'log1p' }] }, /^bad\.csv row 17, column 'z': label -3 is outside the domain of transform 'log1p'/],
    [{ tasks: [{ name: 'w', type: 'binary' }] }, /^bad\.csv row 11, column 'w': label 'perhaps' is not binary for binary task 'w'/],
  ];
  for (const [options, message] of cases) {
    t.throws(() => FeaturePipeline.fit(bad, { ...options, features: [{ name: 'x' }] }), { message });
    sameFitOverParts(t, bad, { ...options, features: [{ name: 'x' }] }, String(message));
  }
});

test('fit over parts: a feature that gives a binary label away is found from the merged counts', (t) => {
  const n = 200;
  const r = rng(4);
  const y = Array.from({ length: n }, () => (r() < 0.3 ? 'yes' : 'no'));
  const table = Table.fromColumns({ y, purchased: y.map((v) => (v === 'yes' ? 1 + Math.floor(r() * 3) : null)), status: y.map((v) => (v === 'yes' ? 'done' : r() < 0.5 ? 'open' : 'new')) });
  const options: FitOptions = { tasks: [{ name: 'y', type: 'binary' }] };
  t.is(FeaturePipeline.fit(table, options).warnings.filter((w) => /separates the training labels/.test(w)).length, 2);
  sameFitOverParts(t, table, options, 'leaks');
});

test('one process fits through the same passes: fit(table) is fitParts over the table as one part', (t) => {
  const table = awkwardTable(120, 77);
  const options: FitOptions = { tasks: awkwardTasks, defaults: { fill: 'median', minCount: 1 } };
  t.deepEqual(FeaturePipeline.fitParts(wholeTable(table), options).toJSON(), FeaturePipeline.fit(table, options).toJSON());
});
