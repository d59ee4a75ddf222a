/**
 * Errors about user input. Every message names where the problem is (file, and a field,
 * row or column when known) and what was expected, on one line, so a scientist can fix the
 * file without reading a stack trace. The CLI prints `message` alone for these.
 */
export class InputError extends Error {
  readonly file: string;
  readonly field?: string;

  constructor(file: string, field: string | undefined, problem: string) {
    super(field ? `${file}: ${field}: ${problem}` : `${file}: ${problem}`);
    this.name = 'InputError';
    this.file = file;
    this.field = field;
  }
}

/** Misuse of the library API (wrong shapes, disposed tensors, bad options). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
