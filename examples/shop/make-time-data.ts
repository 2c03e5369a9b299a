// A synthetic shop log in time order where most users of the latest rows are new: users
// arrive all the time and each is active for a spell of a quarter of the rows (a few heavy users make
// many impressions, many users only one), so a time split leaves ~80-85% of the test rows
// to users the training split never saw. Much of a user's click rate is their own (an affinity drawn per user), the
// rest comes from the item, the device and the price, which new users share with old ones.
// Deterministic from the seed.
// Run: npx tsx examples/shop/make-time-data.ts [rows] [seed] [out.csv]
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator } from 'trunkline';

/** Spread of the users' own click tendency (logit scale): most of the click signal. */
const AFFINITY = 2.0;
/** Spread of the users' activity (log scale): a few heavy users, many who come once. */
const ACTIVITY = 1.5;
export const TIME_SESSIONS_HEADER = 'ts,user_id,item_id,device,user_age,price,category,clicked,purchased';

export interface TimeSessionsOptions {
  rows?: number;
  seed?: number;
  /** Chance that an impression comes from a new user (default 0.3). */
  newUserRate?: number;
  /** Returning users are drawn from those who arrived in this many latest rows (default: a quarter of the rows). */
  activeWindow?: number;
}

/** The CSV text (header and rows, time ascending). */
export function makeTimeSessions(options: TimeSessionsOptions = {}): string {
  const rows = options.rows ?? 20000;
  const g = new Generator(options.seed ?? 1);
  const newUserRate = options.newUserRate ?? 0.3;
  const window = options.activeWindow ?? Math.round(rows / 4);
  const devices = ['mobile', 'desktop', 'tablet'];
  const categories = ['shoes', 'bags', 'tops', 'electronics', 'home'];
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

  // Items: a fixed catalogue with a popularity skew and an appeal of their own.
  const numItems = 200;
  const items = Array.from({ length: numItems }, () => ({
    category: categories[g.int(0, categories.length)],
    price: Math.round((5 + 150 * g.uniform() ** 2) * 100) / 100,
    appeal: 0.7 * g.normal(),
  }));
  const popularity = items.map((_, i) => 1 / (i + 1) ** 0.8);
  const popularityTotal = popularity.reduce((a, b) => a + b, 0);
  const pickItem = () => {
    let u = g.uniform() * popularityTotal;
    for (let i = 0; i < numItems; i++) if ((u -= popularity[i]) <= 0) return i;
    return numItems - 1;
  };

  const users: { id: number; firstRow: number; affinity: number; activity: number; age: number; device: string }[] = [];
  const lines = [TIME_SESSIONS_HEADER];
  // Users arrive in row order, so the active ones are users[activeFrom..].
  let activeFrom = 0;
  for (let i = 0; i < rows; i++) {
    while (activeFrom < users.length && users[activeFrom].firstRow < i - window) activeFrom++;
    const active = users.length - activeFrom;
    let user;
    if (active === 0 || g.uniform() < newUserRate) {
      user = {
        id: 1000 + users.length,
        firstRow: i,
        affinity: AFFINITY * g.normal(),
        // Heavy-tailed activity: a few users make many of the returning impressions.
        activity: Math.exp(ACTIVITY * g.normal()),
        age: Math.round(18 + 50 * g.uniform()),
        device: devices[g.int(0, devices.length)],
      };
      users.push(user);
    } else {
      let total = 0;
      for (let k = activeFrom; k < users.length; k++) total += users[k].activity;
      let u = g.uniform() * total;
      let k = activeFrom;
      while (k < users.length - 1 && (u -= users[k].activity) > 0) k++;
      user = users[k];
    }
    const itemId = pickItem();
    const item = items[itemId];
    const logit = -0.9 + user.affinity + item.appeal + (user.device === 'mobile' ? 0.4 : 0) - 0.006 * item.price - 0.015 * Math.abs(user.age - 35);
    const clicked = g.uniform() < sigmoid(logit);
    const purchased = clicked ? g.uniform() < sigmoid(-0.3 + 0.6 * user.affinity - 0.01 * item.price) : null;
    lines.push([i, user.id, itemId, user.device, user.age, item.price, item.category, clicked ? 1 : 0, purchased === null ? '' : purchased ? 1 : 0].join(','));
  }
  return lines.join('\n') + '\n';
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = Number(process.argv[2] ?? 20000);
  const seed = Number(process.argv[3] ?? 1);
  const out = process.argv[4] ?? join(dirname(fileURLToPath(import.meta.url)), 'time-sessions.csv');
  writeFileSync(out, makeTimeSessions({ rows, seed }));
  console.log(`wrote ${rows} rows (seed ${seed}) to ${out}`);
}
