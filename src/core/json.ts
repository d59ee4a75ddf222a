/**
 * Reading JSON files written by us (caches, run state, corpora) or by users (grouping files,
 * saved models). A file that is not valid JSON, e.g. one truncated by an interrupted run or
 * a disk filling up, is an InputError naming the file, not a SyntaxError with a stack.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from './errors.js';

/**
 * Parses `path` as JSON; `what` says what the file should be ("a cache entry", "a grouping
 * file") and is part of the message when it is missing or not JSON.
 */
export function readJsonFile<T = unknown>(path: string, what: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(path, undefined, `missing: expected ${what}`);
    if (code === 'EISDIR') throw new InputError(path, undefined, `is a folder: expected ${what}`);
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new InputError(
      path,
      undefined,
      `not valid JSON (${detail}${text.trim() === '' ? '; the file is empty' : ''}): expected ${what}`,
    );
  }
}

/**
 * Like readJsonFile for files that can be recomputed (caches, resumable state): undefined
 * when the file is missing or not valid JSON, e.g. left truncated by an interrupted run. A
 * folder or an unreadable file in its place is an InputError (the entry could not be written
 * over it either): one line that names the path and what to do.
 */
export function readJsonIfComplete<T = unknown>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem = code === 'EISDIR' ? 'is a folder' : `cannot be read (${code ?? err})`;
    throw new InputError(
      path,
      undefined,
      `${problem}: expected a JSON file written by neurobridge (remove it and re-run to recompute it)`,
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}
