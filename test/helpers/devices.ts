// Runs a test once per device. Without a usable GPU the 'cuda' variant is registered as a
// skipped test whose title says why, and one line is printed, so a machine without a GPU
// never fails for lack of one.
import type { ExecutionContext, TestFn } from 'ava';
import { cuda, noGrad, tensor, type Device, type Tensor } from '../../src/index.js';

export const GPU = cuda.isAvailable();
export const NO_GPU_REASON = GPU ? '' : cuda.unavailableReason();

let announced = false;
function announceSkip(): void {
  if (announced) return;
  announced = true;
  console.log(`CUDA tests skipped: no GPU present (${NO_GPU_REASON})`);
}

type Body = (t: ExecutionContext, device: Device) => void | Promise<void>;

/** Registers `${title} [cpu]` and `${title} [cuda]` (skipped, with the reason, without a GPU). */
export function forEachDevice(test: TestFn, title: string, body: Body): void {
  test(`${title} [cpu]`, (t) => body(t, 'cpu'));
  gpuTest(test, `${title} [cuda]`, (t) => body(t, 'cuda'));
}

/** A test that needs the GPU: registered as skipped (title says why) when there is none. */
export function gpuTest(test: TestFn, title: string, body: (t: ExecutionContext) => void | Promise<void>): void {
  if (GPU) {
    test(title, body);
  } else {
    announceSkip();
    test.skip(`${title} (skipped: no GPU present)`, () => {});
  }
}

/** Every device present: cpu always, cuda when a GPU is usable. */
export const DEVICES: readonly Device[] = GPU ? ['cpu', 'cuda'] : ['cpu'];

export interface Tol { rtol: number; atol: number }

export interface DeviceGradcheck { ok: boolean; maxError: number; worst: { input: number; index: number; analytic: number; numeric: number } | null }

/**
 * tl.gradcheck on any device: the analytic gradient of sum(r * op(xs)) (r fixed, random)
 * on `device` against central differences, each input element perturbed on the host and
 * the op rerun on `device`. Error as tl.gradcheck's: |analytic - numeric| / max(1, |numeric|).
 */
export function gradcheckOn(
  device: Device,
  op: (...xs: Tensor[]) => Tensor,
  inputs: { data: Float32Array; shape: number[] }[],
  { eps = 1e-3, tolerance = 1e-2 } = {},
): DeviceGradcheck {
  const run = (datas: Float32Array[], grad: boolean) => {
    const xs = datas.map((d, i) => {
      const x = tensor(d, inputs[i].shape, { device });
      return grad ? x.requiresGrad_() : x;
    });
    return { xs, out: op(...xs) };
  };
  const { xs, out } = run(inputs.map((i) => i.data), true);
  const r = new Float32Array(out.size).map((_, i) => Math.sin(1.7 * i + 0.3));
  out.backward(tensor(r, out.shape, { device }));
  const analytic = xs.map((x) => (x.grad ? x.grad.data() : new Float32Array(x.size)));
  const objective = (datas: Float32Array[]) =>
    noGrad(() => {
      const y = run(datas, false).out.data();
      let s = 0;
      for (let i = 0; i < y.length; i++) s += r[i] * y[i];
      return s;
    });
  let maxError = 0;
  let worst: DeviceGradcheck['worst'] = null;
  inputs.forEach((input, k) => {
    for (let i = 0; i < input.data.length; i++) {
      const datas = inputs.map((x) => Float32Array.from(x.data));
      datas[k][i] = input.data[i] + eps;
      const up = objective(datas);
      datas[k][i] = input.data[i] - eps;
      const down = objective(datas);
      const numeric = (up - down) / (2 * eps);
      const a = analytic[k][i];
      const err = Math.abs(a - numeric) / Math.max(1, Math.abs(numeric));
      if (worst === null || err > maxError) {
        maxError = err;
        worst = { input: k, index: i, analytic: a, numeric };
      }
    }
  });
  return { ok: maxError <= tolerance, maxError, worst };
}
