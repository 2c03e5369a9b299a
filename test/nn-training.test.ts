// Whole training loops: a checkpoint (model + optimizer + RNG) resumes bit for bit, and
// a long loop in tidy() keeps memory flat.
import test from 'ava';
import * as tl from '../src/index.js';
import { nn, optim } from '../src/index.js';

const IN = 12;
const BATCH = 16;

/** A fixed synthetic data set: two targets (class and value) from a random linear map. */
function dataset() {
  const gen = new tl.Generator(77);
  const n = 256;
  const x = new Float32Array(n * IN);
  const y = new Int32Array(n);
  const r = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < IN; k++) {
      const v = gen.normal();
      x[i * IN + k] = v;
      s += v * ((k % 3) - 1);
    }
    y[i] = s > 0.5 ? 2 : s < -0.5 ? 0 : 1;
    r[i] = Math.tanh(s);
  }
  return { x, y, r, n };
}

class TwoHead extends nn.Module {
  trunk = this.registerModule('trunk', new nn.MLP(IN, [32, 32], null, { batchNorm: true, dropout: 0.2 }));
  cls = this.registerModule('cls', new nn.Linear(32, 3));
  reg = this.registerModule('reg', new nn.Linear(32, 1));
  forward(x: tl.Tensor): [tl.Tensor, tl.Tensor] {
    const h = this.trunk.forward(x);
    return [this.cls.forward(h), this.reg.forward(h)];
  }
}

/** One step: a random batch (drawn from the global generator), forward, backward, update. */
function step(model: TwoHead, opt: optim.Optimizer, data: ReturnType<typeof dataset>): number {
  return tl.tidy(() => {
    const rows = Array.from({ length: BATCH }, () => Math.floor(tl.rand([1]).item() * data.n));
    const xb = new Float32Array(BATCH * IN);
    const yb = new Int32Array(BATCH);
    const rb = new Float32Array(BATCH);
    rows.forEach((r, i) => {
      xb.set(data.x.subarray(r * IN, r * IN + IN), i * IN);
      yb[i] = data.y[r];
      rb[i] = data.r[r];
    });
    const [logits, value] = model.forward(tl.tensor(xb, [BATCH, IN]));
    const loss = tl.add(nn.losses.crossEntropy(logits, tl.tensor(yb, [BATCH])), nn.losses.mse(value, tl.tensor(rb, [BATCH, 1])));
    opt.zeroGrad();
    loss.backward();
    optim.clipGradNorm(model.parameters(), 5);
    opt.step();
    return loss.item();
  });
}

function fresh(seed: number) {
  tl.manualSeed(seed);
  const model = new TwoHead();
  const opt = new optim.AdamW([{ params: model.trunk.parameters() }, { params: [...model.cls.parameters(), ...model.reg.parameters()], lr: 3e-3 }], { lr: 1e-3 });
  return { model, opt };
}

test('a checkpoint of model, optimizer and RNG resumes bit for bit', (t) => {
  const data = dataset();
  const a = fresh(1);
  const uninterrupted = Array.from({ length: 20 }, () => step(a.model, a.opt, data));

  const b = fresh(1);
  for (let i = 0; i < 10; i++) step(b.model, b.opt, data);
  // Save: parameter and buffer values, optimizer state, generator state (all plain data).
  const checkpoint = structuredClone({
    model: Object.fromEntries(Object.entries(b.model.stateDict()).map(([k, v]) => [k, v.data() as Float32Array])),
    optimizer: b.opt.stateDict(),
    rng: tl.getRngState(),
  });

  const c = fresh(999); // different initial weights: everything must come from the checkpoint
  c.model.loadStateDict(checkpoint.model);
  c.opt.loadStateDict(checkpoint.optimizer);
  tl.setRngState(checkpoint.rng);
  const resumed = Array.from({ length: 10 }, () => step(c.model, c.opt, data));
  t.deepEqual(resumed, uninterrupted.slice(10), 'the next 10 losses are identical');
  t.true(uninterrupted[19] < uninterrupted[0], `the loss went down (${uninterrupted[0]} -> ${uninterrupted[19]})`);
});

test('1,100 MLP training steps in tidy() keep memory flat', (t) => {
  const data = dataset();
  const { model, opt } = fresh(2);
  const rss = () => process.memoryUsage().rss;
  for (let i = 0; i < 100; i++) step(model, opt, data); // warm the allocator cache and the JIT
  global.gc?.();
  const before = rss();
  const cacheBefore = tl.hostMemoryStats().cachedBytes;
  for (let i = 0; i < 1000; i++) step(model, opt, data);
  global.gc?.();
  const grown = rss() - before;
  // Every step allocates ~100 KB of tensors; a leak would add ~100 MB over 1,000 steps.
  // The margin (24 MB) leaves room for V8 heap growth that the GC has not returned.
  t.true(grown < 24 * 2 ** 20, `RSS grew by ${(grown / 2 ** 20).toFixed(1)} MB over 1,000 steps`);
  t.is(tl.hostMemoryStats().cachedBytes, cacheBefore, 'the allocator cache reaches a steady state');
  t.false(model.parameters().some((p) => p.isDisposed));
});
