/** Placeholder for ops whose kernels have not landed yet. */
export function notImplemented(op: string): never {
  throw new Error(`${op}: not implemented yet`);
}
