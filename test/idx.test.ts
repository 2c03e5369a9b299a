// The IDX reader: round trips, gzip detection, and clear errors on damaged files.
import test from 'ava';
import { join } from 'node:path';
import { encodeIdxUint8, loadImageSplit, parseIdx } from '../src/data/idx.js';

test('IDX uint8 round trips, gzipped or not', (t) => {
  const data = Uint8Array.from({ length: 24 }, (_, i) => i * 10);
  for (const gz of [true, false]) {
    const back = parseIdx(encodeIdxUint8([2, 3, 4], data, gz));
    t.deepEqual(back.shape, [2, 3, 4]);
    t.deepEqual(Array.from(back.data), Array.from(data));
  }
});

test('damaged IDX files are named errors', (t) => {
  const good = encodeIdxUint8([2, 2], Uint8Array.from([1, 2, 3, 4]), false);
  t.throws(() => parseIdx(good.subarray(0, 14), 'x.idx'), { message: /x\.idx: shape \[2,2\] of uint8 needs 16 bytes, the file has 14/ });
  t.throws(() => parseIdx(Uint8Array.from([1, 0, 8, 1]), 'y'), { message: /y: not an IDX file/ });
  t.throws(() => parseIdx(Uint8Array.from([0, 0, 0x42, 1, 0, 0, 0, 1, 7]), 'z'), { message: /z: unknown IDX element type 0x42/ });
  t.throws(() => parseIdx(Uint8Array.from([0, 0]), 'w'), { message: /too short/ });
});

test('the committed Fashion-MNIST subset loads as [N,1,28,28] in [0,1] with labels 0..9', (t) => {
  const dir = join(import.meta.dirname, '..', 'data', 'fashion-mnist-subset');
  const s = loadImageSplit(dir, 't10k', { limit: 100 });
  t.deepEqual(s.images.shape, [100, 1, 28, 28]);
  t.is(s.labels.dtype, 'int32');
  const px = s.images.data();
  t.true(px.every((v) => v >= 0 && v <= 1));
  t.true(s.labels.data().every((v) => v >= 0 && v <= 9));
  t.throws(() => loadImageSplit(dir, 'nope'), { message: /neither nope-images-idx3-ubyte\.gz nor nope-images-idx3-ubyte is in/ });
});
