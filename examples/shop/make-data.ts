// Generates examples/shop/sessions.csv: a synthetic shop log of user x item impressions
// with a click label, a purchase label that exists only for clicked rows, and the item's
// category. Run: npx tsx examples/shop/make-data.ts [rows]
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator } from 'trunkline';

const rows = Number(process.argv[2] ?? 6000);
const g = new Generator(2026);
const devices = ['mobile', 'desktop', 'tablet'];
const regions = ['north', 'south', 'east', 'west', 'central'];
const categories = ['shoes', 'bags', 'tops', 'electronics', 'home'];
const words: Record<string, string[]> = {
  shoes: ['running', 'leather', 'sneaker', 'boot', 'sandal'],
  bags: ['tote', 'backpack', 'leather', 'travel', 'clutch'],
  tops: ['cotton', 'shirt', 'hoodie', 'linen', 'tee'],
  electronics: ['wireless', 'charger', 'headphones', 'usb', 'speaker'],
  home: ['lamp', 'mug', 'cushion', 'ceramic', 'blanket'],
};
const tagsOf: Record<string, string[]> = {
  shoes: ['sale', 'sport', 'new'], bags: ['gift', 'new', 'premium'], tops: ['sale', 'summer', 'basic'],
  electronics: ['tech', 'premium', 'gift'], home: ['gift', 'cozy', 'sale'],
};
const pick = <T>(a: readonly T[]): T => a[g.int(0, a.length)];
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

const lines = ['user_age,device,region,price,past_purchases,tags,title,clicked,purchased,category'];
for (let i = 0; i < rows; i++) {
  const age = Math.round(18 + 50 * g.uniform());
  const device = pick(devices);
  const region = pick(regions);
  const category = pick(categories);
  const price = Math.round((5 + 200 * g.uniform() ** 2) * 100) / 100;
  const past = Math.floor(6 * g.uniform() ** 2);
  const tags = tagsOf[category].filter(() => g.uniform() < 0.6);
  // One word of the title comes from the item's category, two from any category.
  const title = [pick(words[category]), pick(words[pick(categories)]), pick(words[pick(categories)])].join(' ');
  // Clicks and purchases share a signal (engagement) and differ in price sensitivity.
  const engagement = 0.6 * past + (device === 'mobile' ? 0.4 : 0) + (tags.includes('sale') ? 0.8 : 0) - 0.02 * Math.abs(age - 35);
  const clicked = g.uniform() < sigmoid(-1.2 + engagement);
  const purchased = clicked ? g.uniform() < sigmoid(-0.5 + 0.8 * engagement - 0.015 * price) : null;
  // A few missing prices, as real logs have.
  const priceCell = g.uniform() < 0.02 ? '' : String(price);
  lines.push([age, device, region, priceCell, past, tags.join('|'), `"${title}"`, clicked ? 1 : 0, purchased === null ? '' : purchased ? 1 : 0, category].join(','));
}
const out = join(dirname(fileURLToPath(import.meta.url)), 'sessions.csv');
writeFileSync(out, lines.join('\n') + '\n');
console.log(`wrote ${rows} rows to ${out}`);
