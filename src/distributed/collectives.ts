// Collectives on tensors, in place where MPI's are. Each is a no-op (or the identity) in a
// world of one process. CUDA tensors are reduced and broadcast on the device through NCCL
// where every rank can (device-path.ts), else through host memory, as the gathers always are.
import { native } from '../native.js';
import { Tensor } from '../tensor/tensor.js';
import { fromBuffer } from '../tensor/creation.js';
import { activeComm } from './world.js';
import { toDevice, clone } from '../ops/core.js';
import type { NativeComm } from './comm.js';
import { devicePath, type DevicePath } from './device-path.js';

export type ReduceOp = 'sum' | 'mean';

/**
 * Overwrites `t`'s elements from `offset` with `values` (as many as fit), on whatever
 * device `t` lives.
 */
export function writeInto(t: Tensor, values: Float32Array | Int32Array, offset = 0): void {
  const count = Math.min(values.length, t.size - offset);
  if (count <= 0) return;
  if (t.device === 'cpu') {
    (t.buf as Float32Array | Int32Array).set(values.subarray(0, count), offset);
    return;
  }
  const src = toDevice(fromBuffer(values.slice(0, count), [count]), t.device);
  native.copy_block(t.kbuf, offset, [1], src.kbuf, 0, [1], [count], false);
  src.dispose();
}

/** Every rank's `t` summed (or averaged), written back into `t` on every rank; returns `t`. */
export function allReduce(t: Tensor, op: ReduceOp = 'sum'): Tensor {
  if (op !== 'sum' && op !== 'mean') throw new Error(`allReduce: op must be 'sum' or 'mean', got '${op}'`);
  if (t.dtype !== 'float32') throw new Error(`allReduce: tensor ${t.describe()} is ${t.dtype}; only float32 is reduced`);
  const comm = activeComm();
  if (comm) reduceInPlace(comm, t, op === 'mean');
  return t;
}

/** Whether CUDA tensors go through NCCL (agreed by every rank on first use; collective). */
export function onDevice(comm: NativeComm, t: Tensor): boolean {
  return t.device !== 'cpu' && devicePath(comm, gatherJson).path === 'nccl';
}

/**
 * How collectives move CUDA tensors in this job: 'nccl' (on the device), or 'host' (copied
 * through host memory to MPI) with the first rank's reason. Agreed by every rank on the
 * first call, so every rank must make it (as any collective); in one process, 'host'.
 */
export function cudaCollectivePath(): DevicePath {
  const comm = activeComm();
  return comm ? devicePath(comm, gatherJson) : { path: 'host', reason: 'one process: nothing to exchange' };
}

/** `t`'s elements summed (or averaged) over the ranks, in place, on the path its device takes. */
export function reduceInPlace(comm: NativeComm, t: Tensor, mean: boolean): void {
  if (t.device === 'cpu') comm.dist_allReduce(t.buf as Float32Array, t.size, mean);
  else if (onDevice(comm, t)) comm.dist_deviceAllReduce(t.kbuf, t.size, mean);
  else {
    const host = t.data() as Float32Array;
    comm.dist_allReduce(host, host.length, mean);
    writeInto(t, host);
  }
}

/** Rank `root`'s elements of `t` over every rank's, in place, on the path its device takes. */
export function broadcastInPlace(comm: NativeComm, t: Tensor, root: number): void {
  if (t.device === 'cpu') comm.dist_broadcast((t.buf as Float32Array | Int32Array).subarray(0, t.size), root);
  else if (onDevice(comm, t)) comm.dist_deviceBroadcast(t.kbuf, t.size * 4, root);
  else {
    const host = t.data() as Float32Array | Int32Array;
    comm.dist_broadcast(host, root);
    writeInto(t, host);
  }
}

/** Rank `root`'s `t` copied into `t` on every rank (float32 or int32); returns `t`. */
export function broadcast(t: Tensor, root = 0): Tensor {
  const comm = activeComm();
  if (comm) broadcastInPlace(comm, t, root);
  return t;
}

/** Every rank's raw bytes, in rank order (the sizes may differ). */
export function allGatherBytes(bytes: Uint8Array): Uint8Array[] {
  const comm = activeComm();
  if (!comm) return [bytes.slice()];
  const { data, sizes } = comm.dist_allGather(bytes);
  const parts: Uint8Array[] = [];
  let o = 0;
  for (const s of sizes) parts.push(data.subarray(o, (o += s)));
  return parts;
}

/**
 * A personalised exchange: `parts[r]` goes to rank r (one part per rank, any sizes, empty
 * ones too); returns what each rank sent this one, in rank order. In one process, the part
 * it sends itself.
 */
export function allToAllBytes(parts: readonly Uint8Array[]): Uint8Array[] {
  const comm = activeComm();
  const size = comm ? comm.dist_worldSize() : 1;
  if (parts.length !== size) throw new Error(`allToAll: ${parts.length} parts for ${size} ${size === 1 ? 'rank' : 'ranks'}; give one part per rank`);
  if (!comm) return [parts[0].slice()];
  if (typeof comm.dist_allToAll !== 'function') throw new Error('allToAll: the loaded trunkline addon predates it; rebuild the addon (npx cmake-js compile -O build-cmake, or npm rebuild trunkline)');
  const { data, sizes } = comm.dist_allToAll(concat(parts), parts.map((p) => p.length));
  const out: Uint8Array[] = [];
  let o = 0;
  for (const s of sizes) out.push(data.subarray(o, (o += s)));
  return out;
}

const encoder = new TextEncoder(), decoder = new TextDecoder();

/** Every rank's `value`, through JSON, in rank order. */
export function gatherJson<T>(value: T): T[] {
  return allGatherBytes(encoder.encode(JSON.stringify(value))).map((b) => JSON.parse(decoder.decode(b)) as T);
}

/** Every rank's float64 values end to end, in rank order. */
export function allGatherF64(values: Float64Array): Float64Array {
  const parts = allGatherBytes(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0) / 8);
  let o = 0;
  for (const p of parts) {
    out.set(new Float64Array(p.slice().buffer), o);
    o += p.length / 8;
  }
  return out;
}

/**
 * Every rank's `t` concatenated along the first dimension, in rank order (the first
 * dimension may differ between ranks; the others must match). A new tensor on `t`'s device.
 */
export function allGather(t: Tensor): Tensor {
  const comm = activeComm();
  if (!comm) return clone(t);
  const rest = t.shape.slice(1);
  const shapes = allGatherBytes(new TextEncoder().encode(JSON.stringify([t.dtype, rest])));
  for (const [r, s] of shapes.entries()) {
    const theirs = new TextDecoder().decode(s);
    if (theirs !== JSON.stringify([t.dtype, rest]))
      throw new Error(`allGather: rank ${r} has ${theirs} (dtype, trailing dims), this rank ${JSON.stringify([t.dtype, rest])}`);
  }
  const host = t.data() as Float32Array | Int32Array;
  const parts = allGatherBytes(new Uint8Array(host.buffer, host.byteOffset, host.byteLength));
  const total = parts.reduce((s, p) => s + p.length, 0) / 4;
  const out = t.dtype === 'int32' ? new Int32Array(total) : new Float32Array(total);
  new Uint8Array(out.buffer).set(concat(parts));
  const inner = rest.reduce((a, b) => a * b, 1);
  const gathered = fromBuffer(out, [inner ? total / inner : 0, ...rest]);
  return toDevice(gathered, t.device);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Waits until every rank has reached it. */
export function barrier(): void {
  activeComm()?.dist_barrier();
}
