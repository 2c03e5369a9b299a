// Shape arithmetic shared by every op: validation, sizes, strides, broadcasting.

export type Shape = readonly number[];

export function fmt(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** Checks that every dim is a non-negative integer; returns a frozen copy. */
export function checkShape(shape: unknown, where: string): number[] {
  if (!Array.isArray(shape)) throw new Error(`${where}: shape must be an array of integers, got ${String(shape)}`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0)
      throw new Error(`${where}: shape ${JSON.stringify(shape)} has an invalid dimension ${String(d)} (dims must be non-negative integers)`);
  }
  if (shape.length > 8) throw new Error(`${where}: shape ${fmt(shape)} has ${shape.length} dims, at most 8 are supported`);
  return shape.slice();
}

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major element strides. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The NumPy broadcast of two shapes, or an error naming both. */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new Error(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together (dim ${i}: ${da} vs ${db})`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read `shape` as if broadcast to `target` (0 along broadcast dims). */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const own = stridesOf(shape);
  const off = target.length - shape.length;
  const out = new Array<number>(target.length).fill(0);
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : own[i];
  return out;
}

/** Normalises one axis (negative counts from the end), with an error naming the op. */
export function normAxis(axis: number, ndim: number, op: string): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis))
    throw new Error(`${op}: axis must be an integer, got ${String(axis)}`);
  const a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= Math.max(ndim, 1) || (ndim === 0 && a !== 0))
    throw new Error(`${op}: axis ${axis} is out of range for a tensor with ${ndim} dims`);
  return a;
}

/** Normalises a set of axes (undefined = all), sorted and de-duplicated. */
export function normAxes(axes: number | readonly number[] | undefined | null, ndim: number, op: string): number[] {
  if (axes === undefined || axes === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const seen = new Set<number>();
  for (const ax of list) {
    const a = normAxis(ax, ndim, op);
    if (seen.has(a)) throw new Error(`${op}: axis ${ax} is repeated`);
    seen.add(a);
  }
  return [...seen].sort((x, y) => x - y);
}
