// Native kernels that check data (labels, indices) throw "kernel_name: message"; the op
// rethrows it under its own public name so users see the op they called, adds where in
// its arguments the data was when it knows, and frees the outputs it had allocated.
export function callKernel<T>(op: string, f: () => T, options: { where?: string; dispose?: readonly { dispose(): void }[] } = {}): T {
  try {
    return f();
  } catch (e) {
    for (const t of options.dispose ?? []) t.dispose();
    const msg = (e instanceof Error ? e.message : String(e)).replace(/^[a-z0-9_]+: /, '');
    throw new Error(`${op}: ${msg}${options.where ? ` (${options.where})` : ''}`);
  }
}
