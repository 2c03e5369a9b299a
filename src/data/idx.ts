// IDX files (the MNIST / Fashion-MNIST format), optionally gzipped: a big-endian header
// (magic 0x0000 <type> <ndims>, then one uint32 per dim) followed by the values.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Tensor } from '../tensor/tensor.js';
import { fromBuffer } from '../tensor/creation.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/engine.js';
import { indexSelect } from '../ops/shape.js';
import { argmax } from '../ops/reduce.js';

export type IdxArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxData {
  shape: number[];
  data: IdxArray;
}

const TYPES: Record<number, { name: string; bytes: number; read: (v: DataView, o: number) => number; make: (n: number) => IdxArray }> = {
  0x08: { name: 'uint8', bytes: 1, read: (v, o) => v.getUint8(o), make: (n) => new Uint8Array(n) },
  0x09: { name: 'int8', bytes: 1, read: (v, o) => v.getInt8(o), make: (n) => new Int8Array(n) },
  0x0b: { name: 'int16', bytes: 2, read: (v, o) => v.getInt16(o), make: (n) => new Int16Array(n) },
  0x0c: { name: 'int32', bytes: 4, read: (v, o) => v.getInt32(o), make: (n) => new Int32Array(n) },
  0x0d: { name: 'float32', bytes: 4, read: (v, o) => v.getFloat32(o), make: (n) => new Float32Array(n) },
  0x0e: { name: 'float64', bytes: 8, read: (v, o) => v.getFloat64(o), make: (n) => new Float64Array(n) },
};

/** Parses IDX bytes (gzipped or not); `where` names the source in errors. */
export function parseIdx(bytes: Uint8Array, where = 'IDX data'): IdxData {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  if (bytes.length < 4) throw new Error(`${where}: too short to be an IDX file (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== 0) throw new Error(`${where}: not an IDX file (the magic number must start with two zero bytes)`);
  const type = TYPES[bytes[2]];
  if (!type) throw new Error(`${where}: unknown IDX element type 0x${bytes[2].toString(16)}`);
  const ndims = bytes[3];
  const header = 4 + 4 * ndims;
  if (ndims === 0 || bytes.length < header) throw new Error(`${where}: truncated IDX header (${ndims} dims)`);
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(view.getUint32(4 + 4 * i));
  const n = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== header + n * type.bytes)
    throw new Error(`${where}: shape [${shape.join(',')}] of ${type.name} needs ${header + n * type.bytes} bytes, the file has ${bytes.length}`);
  let data: IdxArray;
  if (type.bytes === 1) data = bytes[2] === 0x08 ? bytes.slice(header) : new Int8Array(bytes.slice(header).buffer);
  else {
    data = type.make(n);
    for (let i = 0; i < n; i++) data[i] = type.read(view, header + i * type.bytes);
  }
  return { shape, data };
}

export function readIdxFile(path: string): IdxData {
  return parseIdx(readFileSync(path), path);
}

/** Encodes uint8 values as IDX bytes, gzipped unless gzip is false. */
export function encodeIdxUint8(shape: readonly number[], data: Uint8Array, gzip = true): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`encodeIdx: ${data.length} values do not fill shape [${shape.join(',')}]`);
  const out = new Uint8Array(4 + 4 * shape.length + n);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * shape.length);
  return gzip ? gzipSync(out, { level: 9 }) : out;
}

export function writeIdxUint8(path: string, shape: readonly number[], data: Uint8Array): void {
  writeFileSync(path, encodeIdxUint8(shape, data, path.endsWith('.gz')));
}

export interface ImageSplit {
  /** [N, 1, H, W] float32 in [0, 1]. */
  images: Tensor;
  /** [N] int32 class ids. */
  labels: Tensor;
}

/**
 * Loads an MNIST-format split from `dir`: `<prefix>-images-idx3-ubyte[.gz]` and
 * `<prefix>-labels-idx1-ubyte[.gz]` (prefix 'train' or 't10k'), optionally only the
 * first `limit` examples.
 */
export function loadImageSplit(dir: string, prefix: string, { limit }: { limit?: number } = {}): ImageSplit {
  const find = (base: string): string => {
    for (const name of [`${base}.gz`, base]) if (existsSync(join(dir, name))) return join(dir, name);
    throw new Error(`loadImageSplit: neither ${base}.gz nor ${base} is in ${dir}`);
  };
  const imgs = readIdxFile(find(`${prefix}-images-idx3-ubyte`));
  const labs = readIdxFile(find(`${prefix}-labels-idx1-ubyte`));
  if (imgs.shape.length !== 3 || labs.shape.length !== 1 || imgs.shape[0] !== labs.shape[0])
    throw new Error(`loadImageSplit: images [${imgs.shape.join(',')}] and labels [${labs.shape.join(',')}] do not match`);
  const [count, h, w] = imgs.shape;
  const n = Math.min(count, limit ?? count);
  const pixels = new Float32Array(n * h * w);
  for (let i = 0; i < pixels.length; i++) pixels[i] = imgs.data[i] / 255;
  const labels = Int32Array.from(labs.data.subarray(0, n));
  return { images: fromBuffer(pixels, [n, 1, h, w]), labels: fromBuffer(labels, [n]) };
}

/** Rows `rows` of a split as a batch: images [B, 1, H, W] and int32 labels [B]. */
export function imageBatch(split: ImageSplit, rows: ArrayLike<number>): [Tensor, Tensor] {
  const index = fromBuffer(Int32Array.from(rows), [rows.length]);
  return [indexSelect(split.images, 0, index), indexSelect(split.labels, 0, index)];
}

/** Share of a split a classifier gets right (eval mode, no gradients, in batches). */
export function splitAccuracy(model: { forward(x: Tensor): Tensor; train(mode?: boolean): unknown; training?: boolean }, split: ImageSplit, batchSize = 500): number {
  const wasTraining = model.training ?? true;
  model.train(false);
  const n = split.labels.size;
  let correct = 0;
  for (let s = 0; s < n; s += batchSize) {
    const rows = Array.from({ length: Math.min(batchSize, n - s) }, (_, i) => s + i);
    correct += tidy(() =>
      noGrad(() => {
        const [x, y] = imageBatch(split, rows);
        const pred = argmax(model.forward(x), 1).data();
        const truth = y.data();
        let c = 0;
        for (let i = 0; i < rows.length; i++) if (pred[i] === truth[i]) c++;
        return c;
      }),
    );
  }
  model.train(wasTraining);
  return correct / n;
}
