// Writes data/fashion-mnist-subset/: the first 5,000 training and 1,000 test images of
// Fashion-MNIST (gzipped IDX), small enough to commit for tests and the quick example.
// Usage: npx tsx scripts/make-fashion-mnist-subset.ts [source dir]
import { join } from 'node:path';
import { readIdxFile, writeIdxUint8 } from '../src/data/idx.js';

const src = process.argv[2] ?? '/work/shared/data/fashion-mnist';
const out = join(import.meta.dirname, '..', 'data', 'fashion-mnist-subset');
const counts = { train: 5000, t10k: 1000 };

for (const [prefix, n] of Object.entries(counts)) {
  const imgs = readIdxFile(join(src, `${prefix}-images-idx3-ubyte.gz`));
  const labs = readIdxFile(join(src, `${prefix}-labels-idx1-ubyte.gz`));
  const [, h, w] = imgs.shape;
  writeIdxUint8(join(out, `${prefix}-images-idx3-ubyte.gz`), [n, h, w], (imgs.data as Uint8Array).subarray(0, n * h * w));
  writeIdxUint8(join(out, `${prefix}-labels-idx1-ubyte.gz`), [n], (labs.data as Uint8Array).subarray(0, n));
  const hist = new Array(10).fill(0);
  for (let i = 0; i < n; i++) hist[labs.data[i]]++;
  console.log(`${prefix}: ${n} images, per class ${hist.join(' ')}`);
}
