// A model on users it never saw in training: on a small time-split shop log
// (examples/shop/make-time-data.ts) where most test users are new, the click logloss on
// the unseen users' test rows must be no worse than a constant predictor's (the training
// click rate) plus a margin of 0.05 nats: ~400 rows make the logloss noisy by about 0.03,
// and before the OOV id was trained and zero-initialised the same model scored 0.86-1.05
// against a constant's 0.61-0.68 on the full-size log (docs/quality-unseen.md).
import test from 'ava';
import { measureUnseenIds } from '../examples/shop/unseen-ids.js';

const MARGIN = 0.05;

test('unseen values: a model is no worse than the constant predictor on unseen-user rows (+0.05 nats)', async (t) => {
  const r = await measureUnseenIds({ seed: 1, mode: 'after', rows: 3000, epochs: 10 });
  t.true(r.unseenRows >= 300, `${r.unseenRows} unseen-user test rows`);
  t.true(
    r.modelLogloss <= r.constantLogloss + MARGIN,
    `model logloss ${r.modelLogloss.toFixed(4)} vs constant ${r.constantLogloss.toFixed(4)} (+${MARGIN}) on ${r.unseenRows} unseen-user rows`,
  );
});
