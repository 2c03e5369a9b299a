// Small in-place helpers the nn and optim code shares: overwrite a tensor's values
// without replacing the Tensor object (optimizers and users hold references to it).
import { Tensor } from '../tensor/tensor.js';
import type { HostArray } from '../tensor/storage.js';
import { fmt, shapesEqual } from '../tensor/shape.js';
import { native } from '../native.js';
import { toDevice } from '../ops/core.js';
import { noGrad } from '../autograd/engine.js';

/** dst <- src elementwise (same element count), across devices; never recorded. */
export function copyInto(dst: Tensor, src: Tensor | Float32Array | Int32Array, where = 'copy'): void {
  if (!(src instanceof Tensor)) {
    if (src.length !== dst.size) throw new Error(`${where}: ${src.length} values do not fill ${dst.describe()} (${dst.size} elements)`);
    if (dst.device === 'cpu') (dst.buf as HostArray).set(src);
    else noGrad(() => {
      const host = Tensor.empty(dst.shape, dst.dtype, 'cpu');
      (host.buf as HostArray).set(src);
      copyInto(dst, host, where);
      host.dispose();
    });
    return;
  }
  if (src.size !== dst.size) throw new Error(`${where}: shape ${fmt(src.shape)} does not match ${dst.describe()}`);
  if (src.dtype !== dst.dtype) throw new Error(`${where}: dtype ${src.dtype} does not match ${dst.describe()} (${dst.dtype})`);
  if (src === dst) return;
  noGrad(() => {
    const moved = src.device === dst.device ? src : toDevice(src, dst.device);
    if (dst.device === 'cpu') (dst.buf as HostArray).set((moved.buf as HostArray).subarray(0, dst.size));
    else if (dst.dtype === 'float32') {
      native.fill(dst.kbuf, 0, dst.size);
      native.axpy(dst.kbuf, moved.kbuf, 1, dst.size);
    } else {
      // Integer device buffers: round-trip through the host.
      const host = toDevice(moved, 'cpu');
      copyInto(dst, host.data() as Float32Array | Int32Array, where);
      host.dispose();
    }
    if (moved !== src) moved.dispose();
  });
}

/** dst <- value everywhere. */
export function fillInto(dst: Tensor, value: number): void {
  if (dst.device === 'cpu') (dst.buf as HostArray).fill(value);
  else native.fill(dst.kbuf, value, dst.size);
}

export function sameShape(a: Tensor, b: Tensor): boolean {
  return shapesEqual(a.shape, b.shape);
}
