// Tensor memory. CPU storage is a typed array over an ArrayBuffer that native kernels
// read and write in place. Freed buffers go back to a size-class cache, because
// touching fresh pages costs far more than reusing warm ones; a buffer whose tensor is
// garbage-collected without dispose() is simply reclaimed by V8.
import { freemem, totalmem } from 'node:os';
import type { Device, DType } from './dtype.js';

export type HostArray = Float32Array | Int32Array;

/** Memory on a non-CPU device; the backend that made it knows what it is. */
export interface DeviceMemory {
  readonly device: Device;
  alloc(dtype: DType, n: number, zero: boolean): object;
  free(buf: object): void;
  upload(host: HostArray): object;
  download(buf: object, dtype: DType, n: number): HostArray;
}

const deviceMemories = new Map<Device, DeviceMemory>();
export function registerDeviceMemory(mem: DeviceMemory): void {
  deviceMemories.set(mem.device, mem);
}
export function deviceMemory(device: Device): DeviceMemory {
  const mem = deviceMemories.get(device);
  if (!mem) throw new Error(`device '${device}' is not available in this build`);
  return mem;
}

/** Shared, reference-counted memory of one or more tensors (reshape shares it). */
export class Storage {
  refs = 1;
  constructor(
    public data: HostArray | object | null,
    readonly dtype: DType,
    readonly length: number,
    readonly device: Device,
    /** True when the memory came from the allocator cache and may go back to it. */
    readonly pooled = false,
  ) {}

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (this.data === null || --this.refs > 0) return;
    if (this.device === 'cpu') {
      if (this.pooled) hostPool.give((this.data as HostArray).buffer as ArrayBuffer);
    }
    else deviceMemory(this.device).free(this.data);
    this.data = null;
  }
}

// Size classes of 1/8 of an octave bound the waste at 12.5%.
function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const octave = 2 ** Math.floor(Math.log2(bytes));
  const step = octave / 8;
  return Math.ceil(bytes / step) * step;
}

class HostPool {
  private free = new Map<number, ArrayBuffer[]>();
  cachedBytes = 0;
  hits = 0;
  misses = 0;
  /** Above this, freed buffers are left to the GC instead of being cached. */
  limitBytes = 1024 * 1024 * 1024;

  take(bytes: number): { buf: ArrayBuffer; fresh: boolean } {
    const cls = sizeClass(bytes);
    const list = this.free.get(cls);
    const buf = list?.pop();
    if (buf) {
      this.cachedBytes -= cls;
      this.hits++;
      return { buf, fresh: false };
    }
    this.misses++;
    return { buf: new ArrayBuffer(cls), fresh: true };
  }

  /** True when a cached buffer would serve `bytes` (no new memory needed). */
  has(bytes: number): boolean {
    return (this.free.get(sizeClass(bytes))?.length ?? 0) > 0;
  }

  give(buf: ArrayBuffer): void {
    const cls = buf.byteLength;
    if (this.cachedBytes + cls > this.limitBytes) return;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(buf);
    this.cachedBytes += cls;
  }

  clear(): void {
    this.free.clear();
    this.cachedBytes = 0;
  }
}

export const hostPool = new HostPool();

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

// Above this a host allocation also checks the memory free right now (a system call).
const CHECK_FREE_ABOVE = 1024 ** 3;

/**
 * Refuses at once a host allocation that cannot fit: more than this machine's memory, or
 * (above 1 GiB) more than is free now, which would otherwise page for minutes or end in
 * a bare RangeError.
 */
// Read once: os.totalmem() is a system call, and every host tensor allocation checks it
// (it took 61% of a one-row forward pass when read per allocation).
const MACHINE_BYTES = totalmem();

function checkHostBytes(bytes: number, what: () => string): void {
  const total = MACHINE_BYTES;
  if (bytes > total) throw new Error(`${what()} needs ${formatBytes(bytes)}, more than this machine's ${formatBytes(total)} of memory`);
  if (bytes > CHECK_FREE_ABOVE) {
    const free = freemem();
    if (bytes > free && !hostPool.has(bytes))
      throw new Error(`${what()} needs ${formatBytes(bytes)}, more than the ${formatBytes(free)} free of this machine's ${formatBytes(total)} of memory`);
  }
}

/**
 * Allocates `n` elements on `device`. With `zero`, the memory reads as zeros. `what`
 * names the allocation in errors ("zeros: [2,3] float32").
 */
export function allocStorage(dtype: DType, n: number, device: Device, zero: boolean, what: () => string = () => `${n} ${dtype} elements`): Storage {
  if (device !== 'cpu') return new Storage(deviceMemory(device).alloc(dtype, n, zero), dtype, n, device);
  const bytes = n * 4;
  checkHostBytes(bytes, what);
  let taken: { buf: ArrayBuffer; fresh: boolean };
  try {
    taken = hostPool.take(bytes);
  } catch (e) {
    // V8 refuses some sizes below the machine's memory (its own limits, a full heap).
    if (e instanceof RangeError) throw new Error(`${what()} needs ${formatBytes(bytes)}, which could not be allocated (${e.message})`);
    throw e;
  }
  const { buf, fresh } = taken;
  const data = dtype === 'int32' ? new Int32Array(buf, 0, n) : new Float32Array(buf, 0, n);
  if (zero && !fresh) data.fill(0);
  return new Storage(data, dtype, n, device, true);
}

/** Statistics of the host buffer cache (for benchmarks and leak tests). */
export function hostMemoryStats(): { cachedBytes: number; hits: number; misses: number } {
  return { cachedBytes: hostPool.cachedBytes, hits: hostPool.hits, misses: hostPool.misses };
}

/** Drops every cached host buffer. */
export function emptyCache(): void {
  hostPool.clear();
}
