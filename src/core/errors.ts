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

/**
 * The machine's limits cannot give what a step needs (e.g. the address space WebAssembly
 * reserves under `ulimit -v`). The message says which limit to raise; the CLI prints it alone.
 */
export class ResourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceError';
  }
}

/** The user asked to stop (Ctrl-C); what was finished is saved and a re-run resumes. */
export class Interrupted extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Interrupted';
  }
}

/** An error as it crosses a thread or process boundary (structured clone or IPC). */
export interface SerializedError {
  message: string;
  name?: string;
  stack?: string;
  file?: string;
  field?: string;
}

export function serializeError(e: unknown): SerializedError {
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    message: err.message,
    name: err.name,
    stack: err.stack,
    file: err instanceof InputError ? err.file : undefined,
    field: err instanceof InputError ? err.field : undefined,
  };
}

/**
 * The error as the parent sees it: input, usage and resource errors keep their class (so the CLI prints
 * them as the one line they are, not a stack trace); others keep the child's stack.
 */
export function reviveError(m: SerializedError, context?: string): Error {
  const prefix = context ? `${context}: ` : '';
  let err: Error;
  if (m.name === 'InputError') {
    err = new InputError(m.file ?? '', m.field, '');
    err.message = m.message; // already names the file and field
  } else if (m.name === 'UsageError') err = new UsageError(m.message);
  else if (m.name === 'Interrupted') err = new Interrupted(m.message);
  else if (m.name === 'ResourceError') err = new ResourceError(m.message);
  else err = new Error(prefix + m.message);
  if (m.stack) err.stack = m.stack;
  return err;
}
