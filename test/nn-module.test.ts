// Module machinery: registration, traversal, freezing, modes, state dicts, printing.
import test from 'ava';
import * as tl from '../src/index.js';
import { nn } from '../src/index.js';

class Tower extends nn.Module {
  trunk: nn.Sequential;
  head: nn.Linear;
  scale: tl.Tensor;
  constructor() {
    super();
    this.trunk = this.registerModule('trunk', new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.BatchNorm1d(8)));
    this.head = this.registerModule('head', new nn.Linear(8, 2, { bias: false }));
    this.scale = this.registerParameter('scale', tl.ones([2]));
  }
  forward(x: tl.Tensor): tl.Tensor {
    return this.head.forward(this.trunk.forward(x)).mul(this.scale);
  }
}

test('namedParameters gives dotted names in registration order and labels the tensors', (t) => {
  const m = new Tower();
  const names = m.namedParameters().map(([n]) => n);
  t.deepEqual(names, ['scale', 'trunk.0.weight', 'trunk.0.bias', 'trunk.2.weight', 'trunk.2.bias', 'head.weight']);
  t.is(m.trunk.at(0).parameters()[0].name, 'trunk.0.weight');
  t.deepEqual(m.namedBuffers().map(([n]) => n), ['trunk.2.runningMean', 'trunk.2.runningVar']);
  t.is(m.numParameters(), 2 + 32 + 8 + 8 + 8 + 16);
  t.true(m.parameters().every((p) => p.requiresGrad));
  t.is(m.children().length, 2);
  t.is(m.modules().length, 6); // Tower, Sequential, Linear, ReLU, BatchNorm1d, Linear
});

test('a shared module or parameter is listed once', (t) => {
  const shared = new nn.Linear(3, 3);
  const seq = new nn.Sequential(shared, new nn.ReLU(), shared);
  t.is(seq.parameters().length, 2);
  t.deepEqual(Object.keys(seq.stateDict()), ['0.weight', '0.bias']);
});

test('registration rejects bad names, duplicates and cycles', (t) => {
  const m = new Tower();
  t.throws(() => m.registerParameter('scale', tl.ones([1])), { message: /'scale' is already registered/ });
  t.throws(() => m.registerParameter('a.b', tl.ones([1])), { message: /must be letters, digits or _/ });
  t.throws(() => m.registerParameter('ints', tl.tensor([1, 2], null, { dtype: 'int32' })), { message: /must be float32/ });
  const seq = new nn.Sequential();
  t.throws(() => seq.registerModule('self', seq), { message: /cycle/ });
});

test('parameters registered inside tidy() survive it', (t) => {
  const lin = tl.tidy(() => new nn.Linear(3, 2));
  t.false(lin.weight.isDisposed);
  t.false(lin.bias!.isDisposed);
});

test('freeze excludes parameters from parameters() and unfreeze restores them', (t) => {
  const m = new Tower();
  m.trunk.freeze();
  t.deepEqual(m.namedParameters().map(([n]) => n), ['scale', 'head.weight']);
  t.is(m.namedParameters({ includeFrozen: true }).length, 6);
  t.false(m.trunk.at(0).parameters({ includeFrozen: true })[0].requiresGrad);
  t.is(m.numParameters({ trainableOnly: true }), 2 + 16);
  t.regex(m.toString(), /Parameters: 74 \(18 trainable\)/);
  m.unfreeze();
  t.is(m.parameters().length, 6);
});

test('train()/eval() set the mode on every submodule', (t) => {
  const m = new Tower();
  t.true(m.modules().every((c) => c.training));
  m.eval();
  t.true(m.modules().every((c) => !c.training));
  m.train();
  t.true(m.trunk.at(2).training);
});

test('stateDict holds parameters and buffers; loadStateDict copies values in place', (t) => {
  tl.manualSeed(1);
  const a = new Tower();
  tl.manualSeed(2);
  const b = new Tower();
  const w = b.head.weight;
  t.notDeepEqual(Array.from(a.head.weight.data()), Array.from(w.data()));
  b.loadStateDict(a.stateDict());
  t.is(b.head.weight, w, 'the parameter object is kept (optimizers hold it)');
  for (const [k, v] of Object.entries(a.stateDict())) t.deepEqual(Array.from(b.stateDict()[k].data()), Array.from(v.data()), k);
});

test('loadStateDict names missing, unexpected and wrongly shaped keys', (t) => {
  const m = new Tower();
  const sd: Record<string, tl.Tensor> = { ...m.stateDict() };
  delete sd['trunk.0.bias'];
  sd['extra.weight'] = tl.ones([1]);
  sd['head.weight'] = tl.ones([3, 8]);
  const err = t.throws(() => m.loadStateDict(sd))!;
  t.regex(err.message, /missing keys: 'trunk\.0\.bias'/);
  t.regex(err.message, /unexpected keys: 'extra\.weight'/);
  t.regex(err.message, /wrong shape: 'head\.weight': checkpoint \[3,8\], model \[2,8\]/);
  // Non-strict ignores missing/unexpected keys but never a wrong shape.
  t.throws(() => m.loadStateDict(sd, { strict: false }), { message: /wrong shape: 'head\.weight'/ });
  sd['head.weight'] = tl.full([2, 8], 0.5);
  m.loadStateDict(sd, { strict: false });
  t.true(Array.from(m.head.weight.data()).every((v) => v === 0.5));
});

test('loadStateDict accepts flat typed arrays of the right size', (t) => {
  const lin = new nn.Linear(2, 2);
  lin.loadStateDict({ weight: Float32Array.from([1, 2, 3, 4]), bias: Float32Array.from([5, 6]) });
  t.deepEqual(lin.weight.toArray(), [[1, 2], [3, 4]]);
  t.throws(() => lin.loadStateDict({ weight: new Float32Array(3), bias: new Float32Array(2) }), { message: /'weight': checkpoint has 3 values, model \[2,2\] needs 4/ });
});

test('toString prints the tree with settings and parameter counts', (t) => {
  const s = new Tower().toString();
  t.is(
    s,
    [
      'Tower() {',
      '  own parameters: 2',
      '  (trunk): Sequential() {',
      '    (0): Linear(in=4, out=8)  40 params',
      '    (1): ReLU()',
      '    (2): BatchNorm1d(8, eps=0.00001, momentum=0.1)  16 params',
      '  }',
      '  (head): Linear(in=8, out=2, bias=false)  16 params',
      '}',
      'Parameters: 74',
    ].join('\n'),
  );
});

test('setTensor replaces a parameter and the field that pointed at it', (t) => {
  const m = new Tower();
  const old = m.head.weight;
  const nw = tl.zeros([2, 8]);
  t.is(m.setTensor('head.weight', nw), old);
  t.is(m.head.weight, nw);
  t.is(m.stateDict()['head.weight'], nw);
  t.throws(() => m.setTensor('head.nope', nw), { message: /Linear has no parameter or buffer 'nope'/ });
  t.throws(() => m.setTensor('tail.weight', nw), { message: /no child 'tail'/ });
});

test("to('cpu') on a CPU module keeps the tensors; an unknown device is an error", (t) => {
  const m = new Tower();
  const w = m.head.weight;
  m.to('cpu');
  t.is(m.head.weight, w);
  t.throws(() => m.to('tpu' as 'cpu'), { message: /unknown device "tpu"/ });
});

test('initialisers are seeded and have the documented spread', (t) => {
  tl.manualSeed(7);
  const a = nn.init.kaimingUniform_(tl.zeros([200, 300]), { nonlinearity: 'relu' });
  tl.manualSeed(7);
  const b = nn.init.kaimingUniform_(tl.zeros([200, 300]), { nonlinearity: 'relu' });
  t.deepEqual(Array.from(a.data()), Array.from(b.data()));
  const bound = Math.sqrt(2) * Math.sqrt(3 / 300);
  const d = a.data() as Float32Array;
  t.true(d.every((v) => Math.abs(v) <= bound));
  // Uniform(-b, b) has variance b^2/3 = 2/300; 60,000 draws estimate it within ~2%.
  const variance = d.reduce((s, v) => s + v * v, 0) / d.length;
  t.true(Math.abs(variance / (2 / 300) - 1) < 0.03, `variance ${variance}`);
  const x = nn.init.xavierNormal_(tl.zeros([100, 500])).data() as Float32Array;
  const xv = x.reduce((s, v) => s + v * v, 0) / x.length;
  t.true(Math.abs(xv / (2 / 600) - 1) < 0.03, `xavier variance ${xv}`);
  t.deepEqual(Array.from(nn.init.constant_(tl.zeros([3]), 2.5).data()), [2.5, 2.5, 2.5]);
  t.throws(() => nn.init.kaimingNormal_(tl.zeros([2, 2]), { mode: 'fanInOut' as 'fanIn' }), { message: /mode must be 'fanIn' or 'fanOut'/ });
});

test('Dropout: seeded mask, inverted scaling, identity in eval mode', (t) => {
  const d = new nn.Dropout(0.25);
  const x = tl.ones([4000]);
  tl.manualSeed(3);
  const y1 = d.forward(x).data();
  tl.manualSeed(3);
  const y2 = d.forward(x).data();
  t.deepEqual(Array.from(y1), Array.from(y2));
  const kept = y1.filter((v) => v !== 0);
  t.true(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6));
  // 4000 Bernoulli(0.75) draws: std of the kept fraction is ~0.007, allow 4 sigma.
  t.true(Math.abs(kept.length / 4000 - 0.75) < 0.03, `kept ${kept.length}`);
  d.eval();
  t.is(d.forward(x), x);
  t.throws(() => new nn.Dropout(1.5), { message: /p must be in \[0, 1\]/ });
});

test('layer constructors reject bad sizes with clear errors', (t) => {
  t.throws(() => new nn.Linear(0, 3), { message: /Linear: inFeatures must be a positive integer, got 0/ });
  t.throws(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), { message: /divisible by groups 2/ });
  t.throws(() => new nn.MLP(4, [8, -1]), { message: /MLP: hidden size must be a positive integer, got -1/ });
  t.throws(() => new nn.Sequential().at(0), { message: /index 0 is out of range for 0 modules/ });
  t.throws(() => new nn.ModuleList().forward(), { message: /no forward of its own/ });
});

test('MLP builds Linear + activation (+BN) (+Dropout) blocks and an output layer', (t) => {
  const m = new nn.MLP(5, [16, 8], 3, { activation: 'gelu', dropout: 0.1, batchNorm: true });
  t.deepEqual(
    m.namedChildren().map(([, c]) => c.typeName),
    ['Linear', 'GELU', 'BatchNorm1d', 'Dropout', 'Linear', 'GELU', 'BatchNorm1d', 'Dropout', 'Linear'],
  );
  t.is(m.outSize, 3);
  t.is(new nn.MLP(5, [16], null).outSize, 16);
});
