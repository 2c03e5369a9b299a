// Leak check: 10,000 create-compute-drop cycles in several styles (dropped without
// dispose, disposed, tidy, autograd) must leave the process's resident memory flat.
import test from 'ava';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as tl from '../src/index.js';

// A real collection between measurements. Without --expose-gc (ava's workers do not
// pass it), the flag can still be set at run time and gc() fetched from a new context.
function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}
const gc = getGc();

const MB = 1024 * 1024;
const CYCLES = 10_000;
const WARMUP = 1_000;
// Margin: RSS may wobble by allocator fragmentation and JIT code, but a leak of even
// one 8 KB [32,64] tensor per cycle would add ~80 MB over 10,000 cycles.
const MARGIN_MB = 48;

/** Resident set size, and the JS heap plus ArrayBuffer bytes (a more sensitive signal). */
function afterGc(): { rss: number; live: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, live: m.heapUsed + m.arrayBuffers };
}
// Live JS memory (heap + buffers) is far steadier than RSS, so its margin can be tight.
const LIVE_MARGIN_MB = 16;

const styles: [string, () => void][] = [
  [
    'dropped without dispose',
    () => {
      const x = tl.full([32, 64], 0.5);
      const y = tl.sum(tl.mul(x, 2), 1);
      y.data();
    },
  ],
  [
    'disposed explicitly',
    () => {
      const x = tl.full([32, 64], 0.5);
      const t = tl.transpose(x);
      const y = tl.mean(t, 0);
      y.data();
      for (const z of [x, t, y]) z.dispose();
    },
  ],
  [
    'inside tidy',
    () => {
      const v = tl.tidy(() => {
        const x = tl.full([32, 64], 0.5);
        return tl.max(tl.concat([x, tl.relu(x)], 1), 1).sum().item();
      });
      if (!Number.isFinite(v)) throw new Error('bad value');
    },
  ],
  [
    'with autograd',
    () => {
      tl.tidy(() => {
        const w = tl.full([32, 64], 0.5).requiresGrad_();
        const loss = tl.sum(tl.square(tl.slice(tl.reshape(w, [16, 128]), [0, 0], [8, -1])));
        loss.backward();
        w.grad!.dispose();
      });
    },
  ],
];

// Warm every style first: the heap and allocator settle at their working size once.
test.before(() => {
  for (const [, cycle] of styles) for (let i = 0; i < 2 * WARMUP; i++) cycle();
});

for (const [name, cycle] of styles) {
  test.serial(`memory stays flat over ${CYCLES} cycles: ${name}`, (t) => {
    for (let i = 0; i < WARMUP; i++) cycle();
    const before = afterGc();
    const start = Date.now();
    for (let i = 0; i < CYCLES; i++) cycle();
    const after = afterGc();
    const growthMb = (after.rss - before.rss) / MB;
    const liveMb = (after.live - before.live) / MB;
    t.log(
      `${name}: RSS ${(before.rss / MB).toFixed(1)} -> ${(after.rss / MB).toFixed(1)} MB (${growthMb.toFixed(1)} MB), ` +
        `live JS ${liveMb.toFixed(1)} MB, ${Date.now() - start} ms, host cache ${(tl.hostMemoryStats().cachedBytes / MB).toFixed(1)} MB`,
    );
    t.true(growthMb < MARGIN_MB, `RSS grew by ${growthMb.toFixed(1)} MB (margin ${MARGIN_MB} MB)`);
    t.true(liveMb < LIVE_MARGIN_MB, `live JS memory grew by ${liveMb.toFixed(1)} MB (margin ${LIVE_MARGIN_MB} MB)`);
  });
}

test.serial('the host buffer cache stays bounded when tensors are disposed', (t) => {
  tl.emptyCache();
  for (let i = 0; i < 2000; i++) {
    const x = tl.ones([1000]);
    const y = tl.sum(x);
    x.dispose();
    y.dispose();
  }
  // Each cycle returns its two buffers, so the cache holds about one of each size class.
  t.true(tl.hostMemoryStats().cachedBytes < 64 * 1024, `cache holds ${tl.hostMemoryStats().cachedBytes} bytes`);
});
