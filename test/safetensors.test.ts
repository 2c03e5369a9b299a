// safetensors: round trip, the exact byte layout, an independent Python reader, corrupt and
// mismatched files; atomic writes; model directories.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tl from '../src/index.js';
import { serializeSafetensors, parseSafetensors, saveSafetensors, loadSafetensors, checkTensors, writeFileAtomic, saveModel, loadModel } from '../src/io/index.js';
import { FeaturePipeline, Table } from '../src/data/index.js';
import { tempDir } from './helpers/tmp.js';

function sample() {
  return {
    'trunk.0.weight': tl.tensor(Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 2), [3, 4]),
    'trunk.0.bias': tl.tensor([0.25, -1, 3.5]),
    'head.ids': tl.tensor(Int32Array.of(-7, 0, 2147483647), [3]),
    scalar: tl.tensor(Float32Array.of(Math.PI), []),
    empty: tl.zeros([0, 5]),
  };
}

test('round trip keeps names, dtypes, shapes, values and metadata', (t) => {
  const tensors = sample();
  const { tensors: back, metadata } = parseSafetensors(serializeSafetensors(tensors, { format: 'pt', note: 'hi' }));
  t.deepEqual(Object.keys(back).sort(), Object.keys(tensors).sort());
  for (const [name, x] of Object.entries(tensors)) {
    t.is(back[name].dtype, x.dtype, name);
    t.deepEqual(back[name].shape, x.shape, name);
    t.deepEqual(Array.from(back[name].data()), Array.from(x.data()), name);
  }
  t.deepEqual(metadata, { format: 'pt', note: 'hi' });
});

test('the byte layout: u64 LE header length, padded JSON header, packed LE data', (t) => {
  const bytes = serializeSafetensors({ b: tl.tensor(Int32Array.of(1, -2), [2]), a: tl.tensor([1.5], [1, 1]) }, { k: 'v' });
  const n = Number(bytes.readBigUInt64LE(0));
  t.is(n % 8, 0, 'header padded to 8 bytes');
  const headerText = bytes.toString('utf8', 8, 8 + n);
  t.regex(headerText, /^\{.*\} *$/);
  t.deepEqual(JSON.parse(headerText), {
    __metadata__: { k: 'v' },
    a: { dtype: 'F32', shape: [1, 1], data_offsets: [0, 4] },
    b: { dtype: 'I32', shape: [2], data_offsets: [4, 12] },
  });
  t.is(bytes.length, 8 + n + 12);
  t.is(bytes.readFloatLE(8 + n), 1.5);
  t.is(bytes.readInt32LE(8 + n + 4), 1);
  t.is(bytes.readInt32LE(8 + n + 8), -2);
});

test('an independent Python reader accepts the file', (t) => {
  let python = '';
  for (const cmd of ['python3', 'python']) {
    try {
      execFileSync(cmd, ['--version'], { stdio: 'ignore' });
      python = cmd;
      break;
    } catch {
      // try the next
    }
  }
  if (!python) {
    t.log('no python on this machine: skipped');
    t.pass();
    return;
  }
  const path = join(tempDir(), 'w.safetensors');
  const tensors = sample();
  saveSafetensors(path, tensors, { framework: 'trunkline' });
  const out = JSON.parse(execFileSync(python, [join(import.meta.dirname, 'helpers', 'read_safetensors.py'), path], { encoding: 'utf8' }));
  t.deepEqual(out.metadata, { framework: 'trunkline' });
  for (const [name, x] of Object.entries(tensors)) {
    t.deepEqual(out.tensors[name].shape, x.shape, name);
    t.is(out.tensors[name].dtype, x.dtype === 'int32' ? 'I32' : 'F32');
    t.deepEqual(out.tensors[name].values, Array.from(x.data()), name);
  }
});

test('corrupt files give clear errors naming the file and the tensor', (t) => {
  const good = serializeSafetensors(sample());
  const n = Number(good.readBigUInt64LE(0));
  const err = (bytes: Uint8Array) => t.throws(() => parseSafetensors(bytes, 'm.safetensors'))!.message;
  t.is(err(good.subarray(0, 5)), 'm.safetensors: truncated: 5 bytes, too short for the 8-byte header length');
  t.regex(err(good.subarray(0, 8 + n - 3)), /^m\.safetensors: truncated: the header needs \d+ bytes/);
  t.regex(err(good.subarray(0, good.length - 4)), /^m\.safetensors: tensor '.+': data_offsets \[\d+,\d+\] are out of range: the file holds only \d+ data bytes/);
  const huge = Buffer.from(good);
  huge.writeBigUInt64LE(1n << 40n, 0);
  t.regex(err(huge), /bad header: its length \d+ is not plausible/);
  const edit = (f: (h: Record<string, any>) => void) => {
    const h = JSON.parse(good.toString('utf8', 8, 8 + n));
    f(h);
    const text = Buffer.from(JSON.stringify(h));
    const out = Buffer.alloc(8 + text.length + good.length - 8 - n);
    out.writeBigUInt64LE(BigInt(text.length), 0);
    text.copy(out, 8);
    good.copy(out, 8 + text.length, 8 + n);
    return out;
  };
  const notJson = Buffer.from(good);
  notJson[8] = 0x21;
  t.regex(err(notJson), /^m\.safetensors: bad header: not valid JSON/);
  t.is(
    err(edit((h) => (h['trunk.0.bias'].dtype = 'F8_E4M3'))),
    "m.safetensors: tensor 'trunk.0.bias' has dtype \"F8_E4M3\"; trunkline reads F32, I32, F64, F16, BF16, I64, U8 and BOOL",
  );
  t.regex(err(edit((h) => (h['trunk.0.bias'].shape = [4]))), /^m\.safetensors: tensor 'trunk\.0\.bias': data_offsets \[\d+,\d+\] span 12 bytes but shape \[4\] of F32 needs 16$/);
  t.regex(err(edit((h) => (h['trunk.0.bias'].data_offsets = [1, 13]))), /^m\.safetensors: bad header: tensor '.+' starts at data byte/);
  t.regex(err(edit((h) => (h['scalar'].shape = 'x'))), /^m\.safetensors: bad header: tensor 'scalar' has shape "x"/);
  t.regex(err(edit((h) => (h.__metadata__ = { a: 1 }))), /__metadata__ 'a' is not a string/);
  t.throws(() => loadSafetensors('/nonexistent/x.safetensors'), { message: /^cannot read \/nonexistent\/x\.safetensors/ });
});

test('checkTensors names missing, unexpected and mis-shaped tensors', (t) => {
  const got = { a: tl.zeros([2, 3]), b: tl.zeros([4]) };
  t.notThrows(() => checkTensors(got, { a: [2, 3], b: [4] }, 'w.safetensors'));
  t.is(
    t.throws(() => checkTensors(got, { a: [3, 2], c: [1] }, 'w.safetensors'))!.message,
    "w.safetensors does not match the model: tensor 'a' has shape [2, 3], expected [3, 2]; missing tensor 'c' (expected shape [1]); unexpected tensor 'b'",
  );
  t.notThrows(() => checkTensors(got, { a: [2, 3] }, 'w.safetensors', { strict: false }));
});

test('atomic writes leave no temp file behind, and a failed write leaves the old file', (t) => {
  const dir = tempDir();
  const path = join(dir, 'f.bin');
  writeFileAtomic(path, 'old');
  writeFileAtomic(path, new Uint8Array([1, 2, 3]));
  t.deepEqual([...readFileSync(path)], [1, 2, 3]);
  saveSafetensors(join(dir, 'w.safetensors'), sample());
  t.deepEqual(readdirSync(dir).sort(), ['f.bin', 'w.safetensors']);
  // Renaming onto a directory fails: the temp file is removed, the directory untouched.
  const blocker = join(dir, 'blocked');
  writeFileAtomic(join(blocker, 'inside'), 'x');
  t.throws(() => writeFileAtomic(blocker, 'data'), { message: /^cannot write .*blocked/ });
  t.deepEqual(readdirSync(dir).sort(), ['blocked', 'f.bin', 'w.safetensors']);
  t.true(existsSync(join(blocker, 'inside')));
});

test('a model directory saves weights, config and features, and reloads them', (t) => {
  const dir = join(tempDir(), 'run1', 'model');
  const train = Table.fromColumns({ x: [1, 2, 3], c: ['a', 'b', 'a'], y: ['yes', 'no', 'yes'] });
  const pipeline = FeaturePipeline.fit(train, { tasks: [{ name: 'y', type: 'binary' }] });
  const weights = sample();
  saveModel(dir, { weights, config: { arch: 'mmoe', experts: 4 }, pipeline, metadata: { trunkline: '0.1.0' } });
  t.deepEqual(readdirSync(dir).sort(), ['config.json', 'weights.safetensors']);
  const loaded = loadModel<{ arch: string; experts: number }>(dir, { expected: Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, v.shape])) });
  t.deepEqual(loaded.config, { arch: 'mmoe', experts: 4 });
  t.deepEqual(loaded.metadata, { trunkline: '0.1.0' });
  t.deepEqual(loaded.pipeline!.toJSON(), pipeline.toJSON());
  t.deepEqual(Array.from(loaded.weights['trunk.0.weight'].data()), Array.from(weights['trunk.0.weight'].data()));
});

test('a model from another config, or damaged, is a clear error', (t) => {
  const dir = tempDir();
  saveModel(dir, { weights: { w: tl.zeros([2, 3]) }, config: {} });
  t.throws(() => loadModel(dir, { expected: { w: [3, 2] } }), {
    message: `${join(dir, 'weights.safetensors')} does not match the model: tensor 'w' has shape [2, 3], expected [3, 2]`,
  });
  t.throws(() => loadModel(dir, { expected: { w: [2, 3], v: [1] } }), { message: /missing tensor 'v'/ });
  // Weights from another save.
  const other = tempDir();
  saveModel(other, { weights: { w: tl.ones([2, 3]) }, config: {} });
  writeFileSync(join(dir, 'weights.safetensors'), readFileSync(join(other, 'weights.safetensors')));
  t.throws(() => loadModel(dir), { message: /weights\.safetensors does not match .*config\.json \(checksum differs/ });
  writeFileSync(join(dir, 'config.json'), '{ not json');
  t.throws(() => loadModel(dir), { message: /config\.json: not valid JSON/ });
  t.throws(() => loadModel(join(dir, 'nope')), { message: /config\.json: not found/ });
});

test('writeCsv quotes what needs quoting and reads back', async (t) => {
  const { writeCsv } = await import('../src/io/index.js');
  const { readCsv } = await import('../src/data/index.js');
  const path = join(tempDir(), 'preds.csv');
  writeCsv(path, { id: [1, 2, 3], note: ['a,b', 'say "hi"', null], p: Float32Array.of(0.5, NaN, 1) });
  t.is(readFileSync(path, 'utf8'), 'id,note,p\n1,"a,b",0.5\n2,"say ""hi""",\n3,,1\n');
  const back = await readCsv(path);
  t.is(back.cell(1, 'note'), 'say "hi"');
  t.is(back.cell(1, 'p'), '');
});

/** Safetensors bytes of one tensor stored as `dtype` (as Python would write it). */
function oneTensor(dtype: string, shape: number[], data: Buffer): Buffer {
  let json = JSON.stringify({ x: { dtype, shape, data_offsets: [0, data.length] } });
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, Buffer.from(json), data]);
}

test('F64, F16, BF16, I64, U8 and BOOL are read, converted, and the conversion is named', (t) => {
  const read = (dtype: string, data: Buffer, n = data.length) => {
    const r = parseSafetensors(oneTensor(dtype, [n], data), 'py.safetensors');
    return { values: Array.from(r.tensors.x.data()), dtype: r.tensors.x.dtype, how: r.conversions.x };
  };
  const f64 = Buffer.alloc(24);
  [1.5, -2.25, 1e-3].forEach((v, i) => f64.writeDoubleLE(v, i * 8));
  const a = read('F64', f64, 3);
  t.is(a.dtype, 'float32');
  t.deepEqual(a.values, [1.5, -2.25, Math.fround(1e-3)]);
  t.is(a.how, 'F64 -> float32 (rounded to single precision)');
  // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800, smallest subnormal 0x0001 = 2^-24, +inf 0x7c00.
  const f16 = Buffer.alloc(10);
  [0x3c00, 0xc000, 0x3800, 0x0001, 0x7c00].forEach((v, i) => f16.writeUInt16LE(v, i * 2));
  t.deepEqual(read('F16', f16, 5).values, [1, -2, 0.5, 2 ** -24, Infinity]);
  // BF16 is the upper half of a float32: 1.0 = 0x3f80, -3.5 = 0xc060.
  const bf16 = Buffer.alloc(4);
  [0x3f80, 0xc060].forEach((v, i) => bf16.writeUInt16LE(v, i * 2));
  const b = read('BF16', bf16, 2);
  t.deepEqual(b.values, [1, -3.5]);
  t.is(b.how, 'BF16 -> float32 (exact)');
  const i64 = Buffer.alloc(24);
  [5n, -7n, 2147483647n].forEach((v, i) => i64.writeBigInt64LE(v, i * 8));
  const c = read('I64', i64, 3);
  t.is(c.dtype, 'int32');
  t.deepEqual(c.values, [5, -7, 2147483647]);
  i64.writeBigInt64LE(1n << 40n, 8);
  t.throws(() => read('I64', i64, 3), { message: "py.safetensors: tensor 'x' (I64) holds 1099511627776, which does not fit in int32" });
  t.deepEqual(read('U8', Buffer.from([0, 200, 255])).values, [0, 200, 255]);
  const d = read('BOOL', Buffer.from([0, 1, 1]));
  t.deepEqual(d.values, [0, 1, 1]);
  t.is(d.how, 'BOOL -> int32 (0 or 1)');
  t.regex(t.throws(() => parseSafetensors(oneTensor('F64', [2], Buffer.alloc(12)), 'py.safetensors'))!.message, /span 12 bytes but shape \[2\] of F64 needs 16/);
  // F32 and I32 need no conversion.
  t.deepEqual(parseSafetensors(serializeSafetensors(sample())).conversions, {});
});
