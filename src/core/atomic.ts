import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';

/**
 * Writes go to a temporary sibling and are renamed into place, so a crash or a kill never
 * leaves a half-written output that a later run would mistake for a finished one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = temporarySibling(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Runs `write(tmpPath)` and renames the result to `path` only if it succeeded. */
export async function withAtomicPath<T>(
  path: string,
  write: (tmpPath: string) => Promise<T> | T,
): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = temporarySibling(path);
  try {
    const result = await write(tmp);
    renameSync(tmp, path);
    return result;
  } catch (err) {
    rmSync(tmp, { force: true, recursive: true });
    throw err;
  }
}

function temporarySibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
}
