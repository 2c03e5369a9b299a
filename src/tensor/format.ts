// A readable toString(), PyTorch-like: nested brackets, aligned numbers, long dims
// elided with '...'.
import type { Tensor } from './tensor.js';

const EDGE = 3; // items shown at each end of a long dim
const LONG = 8;

export function formatTensor(t: Tensor): string {
  const data = t.data();
  const isInt = t.dtype === 'int32';
  const fmtNum = (v: number): string => {
    if (isInt) return String(v);
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-4)) return v.toExponential(4);
    return v.toFixed(4);
  };
  const shape = t.shape;
  const strides: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  const cells: string[] = [];
  const visit = (dim: number, off: number, indent: string): string => {
    if (dim === shape.length) {
      const s = fmtNum(data[off]);
      cells.push(s);
      return s;
    }
    const n = shape[dim];
    const idx = n > LONG ? [...range(0, EDGE), -1, ...range(n - EDGE, n)] : range(0, n);
    const parts = idx.map((i) => (i < 0 ? '...' : visit(dim + 1, off + i * strides[dim], indent + ' ')));
    const sep = dim === shape.length - 1 ? ', ' : `,\n${indent} `;
    return `[${parts.join(sep)}]`;
  };
  const body = shape.length === 0 ? fmtNum(data[0]) : visit(0, 0, '       ');
  const extras = [`shape=[${shape.join(',')}]`, `dtype=${t.dtype}`];
  if (t.device !== 'cpu') extras.push(`device=${t.device}`);
  if (t.requiresGrad) extras.push('requiresGrad=true');
  return `tensor(${body}, ${extras.join(', ')})`;
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}
