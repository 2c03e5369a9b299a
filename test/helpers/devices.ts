// Runs a test once per device. Without a usable GPU the 'cuda' variant is registered as a
// skipped test whose title says why, and one line is printed, so a machine without a GPU
// never fails for lack of one.
import type { ExecutionContext, TestFn } from 'ava';
import { cuda, type Device } from '../../src/index.js';

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
