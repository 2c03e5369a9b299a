// Parsers for command-line option values (commander), shared by every command.
import { InvalidArgumentError } from 'commander';

export function positiveIntArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}
