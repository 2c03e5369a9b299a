// Native kernels that check data (labels, indices) throw "kernel_name: message"; the op
// rethrows it under its own public name so users see the op they called.
export function callKernel<T>(op: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`${op}: ${msg.replace(/^[a-z0-9_]+: /, '')}`);
  }
}
