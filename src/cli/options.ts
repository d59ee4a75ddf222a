/** Parsing of numeric command-line options, with the option named in the error. */
import { UsageError } from '../core/errors.js';

export function wholeNumber(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${name}: expected a whole number ≥ 1, got '${value}'`);
  return n;
}
