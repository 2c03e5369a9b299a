// Argument checks used across layers, schedulers and options, so each says the same thing.

/** `v` as a positive integer, or an Error "where: what must be a positive integer, got v". */
export function checkPositiveInt(v: unknown, where: string, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${where}: ${what} must be a positive integer, got ${String(v)}`);
  return v;
}
