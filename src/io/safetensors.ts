// The safetensors format (readable by Python's safetensors): an 8-byte little-endian header
// length N, N bytes of JSON header { name: { dtype, shape, data_offsets: [begin, end] },
// __metadata__?: { string: string } }, then the raw little-endian tensor bytes, packed in
// header order with no gaps. The header is padded with spaces to a multiple of 8 bytes.
import { readFileSync } from 'node:fs';
import type { DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { writeFileAtomic } from './atomic.js';

const TO_ST: Record<DType, string> = { float32: 'F32', int32: 'I32' };
const FROM_ST: Record<string, DType> = { F32: 'float32', I32: 'int32' };

/**
 * Dtypes that other writers (PyTorch, NumPy) use, read by converting to what trunkline
 * computes in; `how` is the conversion as reported to the caller.
 */
const CONVERTED: Record<string, { bytes: number; to: DType; how: string; read: (b: Buffer, at: number, file: string, name: string) => number }> = {
  F64: { bytes: 8, to: 'float32', how: 'F64 -> float32 (rounded to single precision)', read: (b, at) => b.readDoubleLE(at) },
  F16: { bytes: 2, to: 'float32', how: 'F16 -> float32 (exact)', read: (b, at) => halfToFloat(b.readUInt16LE(at)) },
  BF16: { bytes: 2, to: 'float32', how: 'BF16 -> float32 (exact)', read: (b, at) => bf16ToFloat(b.readUInt16LE(at)) },
  I64: {
    bytes: 8,
    to: 'int32',
    how: 'I64 -> int32 (values checked to fit)',
    read: (b, at, file, name) => {
      const v = b.readBigInt64LE(at);
      if (v > 2147483647n || v < -2147483648n) throw new Error(`${file}: tensor '${name}' (I64) holds ${v}, which does not fit in int32`);
      return Number(v);
    },
  },
  U8: { bytes: 1, to: 'int32', how: 'U8 -> int32 (exact)', read: (b, at) => b[at] },
  BOOL: { bytes: 1, to: 'int32', how: 'BOOL -> int32 (0 or 1)', read: (b, at) => (b[at] ? 1 : 0) },
};

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function bf16ToFloat(bits: number): number {
  u32[0] = bits << 16;
  return f32[0];
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
/** A header beyond this is surely a corrupt length, not a real header. */
const MAX_HEADER = 100 * 1024 * 1024;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('safetensors: big-endian hosts are not supported');

/** Serialises named tensors (any device) into safetensors bytes; names are sorted. */
export function serializeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Buffer {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new Error(`safetensors: metadata '${k}' must be a string, got ${typeof v}`);
    header.__metadata__ = metadata;
  }
  const datas: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new Error("safetensors: '__metadata__' cannot be a tensor name");
    const t = tensors[name];
    if (!t || (t as { __isTensor?: boolean }).__isTensor !== true) throw new Error(`safetensors: '${name}' is not a Tensor`);
    const host = t.data();
    const bytes = new Uint8Array(host.buffer, host.byteOffset, host.byteLength);
    header[name] = { dtype: TO_ST[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    datas.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const padded = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (padded % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const d of datas) {
    out.set(d, at);
    at += d.length;
  }
  return out;
}

export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
  /** Tensors stored as F64, F16, BF16, I64, U8 or BOOL, and how each was converted (name -> 'F64 -> float32 ...'). */
  conversions: Record<string, string>;
}

interface Entry {
  dtype: unknown;
  shape: unknown;
  data_offsets: unknown;
}

/** Parses safetensors bytes; `file` names the source in errors. Tensors land on the CPU. */
export function parseSafetensors(bytes: Uint8Array, file = '<safetensors>'): SafetensorsContents {
  const fail = (msg: string) => new Error(`${file}: ${msg}`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8) throw fail(`truncated: ${buf.length} bytes, too short for the 8-byte header length`);
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER)) throw fail(`bad header: its length ${n} is not plausible (corrupt file?)`);
  const headerLen = Number(n);
  if (8 + headerLen > buf.length) throw fail(`truncated: the header needs ${headerLen} bytes but the file has ${buf.length - 8} after the length`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + headerLen));
  } catch (e) {
    throw fail(`bad header: not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw fail('bad header: expected a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = buf.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: Record<string, Tensor> = {};
  const conversions: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  try {
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') {
        if (!raw || typeof raw !== 'object') throw fail('bad header: __metadata__ must be an object of strings');
        for (const [k, v] of Object.entries(raw)) {
          if (typeof v !== 'string') throw fail(`bad header: __metadata__ '${k}' is not a string`);
          metadata[k] = v;
        }
        continue;
      }
      const e = raw as Entry;
      const where = `tensor '${name}'`;
      if (!e || typeof e !== 'object') throw fail(`bad header: ${where} is not an object`);
      const native = FROM_ST[e.dtype as string];
      const converted = CONVERTED[e.dtype as string];
      if (!native && !converted) throw fail(`${where} has dtype ${JSON.stringify(e.dtype)}; trunkline reads F32, I32, F64, F16, BF16, I64, U8 and BOOL`);
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0))
        throw fail(`bad header: ${where} has shape ${JSON.stringify(e.shape)} (expected non-negative integers)`);
      const off = e.data_offsets;
      if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0])
        throw fail(`bad header: ${where} has data_offsets ${JSON.stringify(off)} (expected [begin, end])`);
      const shape = e.shape as number[];
      const count = shape.reduce((a, b) => a * b, 1);
      const itemBytes = native ? 4 : converted.bytes;
      if (off[1] - off[0] !== count * itemBytes)
        throw fail(`${where}: data_offsets ${JSON.stringify(off)} span ${off[1] - off[0]} bytes but shape [${shape.join(', ')}] of ${e.dtype} needs ${count * itemBytes}`);
      if (off[1] > dataLen)
        throw fail(`${where}: data_offsets ${JSON.stringify(off)} are out of range: the file holds only ${dataLen} data bytes (truncated file or bad header)`);
      spans.push([off[0], off[1], name]);
      if (native) {
        // Copy (the file's offsets need not be 4-byte aligned in memory).
        const t = Tensor.empty(shape, native, 'cpu');
        new Uint8Array(t.buf.buffer, t.buf.byteOffset, count * 4).set(buf.subarray(dataStart + off[0], dataStart + off[1]));
        tensors[name] = t;
      } else {
        const t = Tensor.empty(shape, converted.to, 'cpu');
        const out = t.buf as Float32Array | Int32Array;
        for (let i = 0; i < count; i++) out[i] = converted.read(buf, dataStart + off[0] + i * converted.bytes, file, name);
        tensors[name] = t;
        conversions[name] = converted.how;
      }
    }
    // Like Python's reader: the tensors tile the data exactly, in offset order.
    spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let end = 0;
    for (const [begin, stop, name] of spans) {
      if (begin !== end)
        throw fail(`bad header: tensor '${name}' starts at data byte ${begin} but the previous tensor ends at ${end} (${begin < end ? 'overlap' : 'gap'})`);
      end = stop;
    }
    if (end !== dataLen) throw fail(`bad header: the tensors cover ${end} data bytes but the file holds ${dataLen}`);
  } catch (e) {
    for (const t of Object.values(tensors)) t.dispose();
    throw e;
  }
  return { tensors, metadata, conversions };
}

/** Saves named tensors to a .safetensors file atomically. */
export function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

/** Loads a .safetensors file onto the CPU (F32 and I32 as they are; other dtypes converted, see `conversions`). */
export function loadSafetensors(path: string): SafetensorsContents {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  return parseSafetensors(bytes, path);
}

/** What a caller expects to find: name -> shape (and optionally dtype). */
export type TensorShapes = Record<string, readonly number[] | { shape: readonly number[]; dtype?: DType }>;

/**
 * Checks loaded tensors against the expected names and shapes; the error names the file
 * and every missing, unexpected or mis-shaped tensor.
 */
export function checkTensors(tensors: Record<string, Tensor>, expected: TensorShapes, file: string, options: { strict?: boolean } = {}): void {
  const problems: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const shape = Array.isArray(want) ? (want as readonly number[]) : (want as { shape: readonly number[] }).shape;
    const dtype = Array.isArray(want) ? undefined : (want as { dtype?: DType }).dtype;
    const t = tensors[name];
    if (!t) problems.push(`missing tensor '${name}' (expected shape [${shape.join(', ')}])`);
    else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      problems.push(`tensor '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    else if (dtype && t.dtype !== dtype) problems.push(`tensor '${name}' is ${t.dtype}, expected ${dtype}`);
  }
  if (options.strict ?? true) for (const name of Object.keys(tensors)) if (!(name in expected)) problems.push(`unexpected tensor '${name}'`);
  if (problems.length) throw new Error(`${file} does not match the model: ${problems.join('; ')}`);
}
