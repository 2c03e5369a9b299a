// A model on users it never saw in training: on a small time-split shop log
// (examples/shop/make-time-data.ts) where most test users are new, the click logloss on
// the unseen users' test rows must be no worse than a constant predictor's (the training
// click rate) plus a margin of 0.05 nats (~1000 rows make the logloss noisy by about 0.02).
// The same model with the former OOV handling (minCount 1, a random untrained row 0) is
// run too and must be worse than that bound, so the test tells the two apart
// (docs/quality/unseen-ids.md has 3 seeds: 0.86-1.05 before against a constant's 0.61-0.68).
import test from 'ava';
import { measureUnseenIds } from '../examples/shop/unseen-ids.js';

const MARGIN = 0.05;

test('unseen values: a model is no worse than the constant predictor on unseen-user rows (+0.05 nats)', async (t) => {
  const r = await measureUnseenIds({ seed: 1, mode: 'after', rows: 6000, epochs: 20 });
  t.true(r.unseenRows >= 800, `${r.unseenRows} unseen-user test rows`);
  const says = (x: typeof r) => `model logloss ${x.modelLogloss.toFixed(4)} vs constant ${x.constantLogloss.toFixed(4)} (+${MARGIN}) on ${x.unseenRows} unseen-user rows`;
  t.true(r.modelLogloss <= r.constantLogloss + MARGIN, says(r));
  const before = await measureUnseenIds({ seed: 1, mode: 'before', rows: 6000, epochs: 20 });
  t.true(before.modelLogloss > before.constantLogloss + MARGIN, `former OOV handling: ${says(before)}`);
});
