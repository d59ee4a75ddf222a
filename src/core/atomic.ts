import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { UsageError } from './errors.js';

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

/**
 * Writes the set of outputs of one command all or nothing. `write` gets a hidden staging
 * folder inside `dir` and writes everything there; only when it returns are its entries
 * renamed into `dir` (replacing files of the same name, merging into existing sub-folders).
 * When it throws, the staging folder is removed, so nothing of the failed run is left, and
 * `dir` is removed too if this call created it. Staging folders of killed runs (their
 * process gone) are removed by the next call on the same folder.
 *
 * `o.replaces` names the entries of `dir` that belong to the set: those this run did not
 * write are removed when it succeeds (e.g. corpora of an earlier tokenization, which would
 * not match the new vocabulary).
 */
export async function writeOutputSet<T>(
  dir: string,
  write: (staging: string) => Promise<T> | T,
  o: { replaces?: (entry: string) => boolean } = {},
): Promise<T> {
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new UsageError(`${dir}: exists and is not a folder`);
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  removeStaleStaging(dir);
  const staging = join(dir, `${STAGING_PREFIX}${process.pid}.${Date.now()}`);
  mkdirSync(staging);
  try {
    const result = await write(staging);
    if (o.replaces) {
      const written = new Set(readdirSync(staging));
      for (const name of readdirSync(dir))
        if (!written.has(name) && !name.startsWith(STAGING_PREFIX) && o.replaces(name))
          rmSync(join(dir, name), { recursive: true, force: true });
    }
    moveInto(staging, dir);
    rmSync(staging, { recursive: true, force: true });
    return result;
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (created && readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

const STAGING_PREFIX = '.staging-';

function moveInto(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    if (statSync(src).isDirectory() && existsSync(dst) && statSync(dst).isDirectory())
      moveInto(src, dst);
    else {
      if (existsSync(dst) && statSync(dst).isDirectory()) rmSync(dst, { recursive: true });
      renameSync(src, dst);
    }
  }
}

function removeStaleStaging(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const pid = Number(name.slice(STAGING_PREFIX.length).split('.')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid))
      rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
