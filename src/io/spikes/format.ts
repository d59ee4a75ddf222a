/**
 * What a spike format is to the rest of the toolkit: one descriptor per format (as
 * SpikeInterface keeps one extractor class per format), listed in `registry.ts`. Detection,
 * the input files of a cache key, reading and the list of format names all come from the
 * descriptors, so adding a format is one descriptor in its reader's module plus one line in
 * the registry.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import type { H5File } from '../h5.js';
import { pathKind, readFirstLine, requireFile } from '../table.js';
import type { ReadOptions, SpikeFormat, SpikeTrains } from './types.js';

/** What detection may look at without parsing a file. */
export interface PathInfo {
  path: string;
  /** The path lower-cased (extension tests). */
  lower: string;
  layout: 'folder' | 'file';
  /** The folder's entry names (folders only; empty for files). */
  entries: string[];
  /** The first line of a text file (read on first call; '' when unreadable). */
  firstLine(): string;
}

export interface SpikeFormatDescriptor {
  name: SpikeFormat;
  /** A few words for messages: what a path of this format looks like. */
  description: string;
  /** A folder of files (ALF, Phy) or one file. */
  layout: 'folder' | 'file';
  /** Claims a path from its name, its folder listing or its first line (cheap). */
  detect(info: PathInfo): boolean;
  /**
   * Claims an `.h5`/`.hdf5` file that no descriptor claimed by name, from the groups and
   * datasets it holds.
   */
  detectContents?(f: H5File): boolean;
  /**
   * The files whose contents the reader will consume for `path`, known before reading
   * (cache keys hash them; big raw `.dat` files are left out).
   */
  inputFiles(path: string): string[];
  read(path: string, options: ReadOptions): SpikeTrains | Promise<SpikeTrains>;
  /**
   * `readSpikes` runs `read` in a worker thread with a time limit (HDF5 formats: the HDF5
   * library can loop forever on a damaged file; see `h5-isolate.ts`).
   */
  isolate?: boolean;
}

/**
 * Entries of `dir` matching `re`, sorted, as paths. Each must be a readable file: a folder or
 * a dangling symbolic link under a data file's name is an InputError naming it (hashing it
 * for a cache key would otherwise fail with a stack trace).
 */
export function pickFiles(dir: string, re: RegExp, entries = listFolder(dir)): string[] {
  return entries
    .filter((n) => re.test(n))
    .sort()
    .map((n) => {
      const p = join(dir, n);
      requireFile(p);
      return p;
    });
}

/** A folder's entries, or an InputError when it is not a readable folder. */
export function listFolder(dir: string): string[] {
  const kind = pathKind(dir);
  if (kind !== 'folder') {
    throw new InputError(
      dir,
      undefined,
      kind === 'missing' ? 'not found' : 'is not a folder; expected a folder',
    );
  }
  try {
    return readdirSync(dir);
  } catch (err) {
    throw new InputError(
      dir,
      undefined,
      `cannot list the folder (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** A file format's input files: the file itself. */
export function singleFile(path: string): string[] {
  requireFile(path);
  return [path];
}

/** `PathInfo` for a path that exists. */
export function pathInfo(path: string, layout: 'folder' | 'file'): PathInfo {
  let line: string | undefined;
  return {
    path,
    lower: path.toLowerCase(),
    layout,
    entries: layout === 'folder' ? listFolder(path) : [],
    firstLine() {
      if (line === undefined) {
        try {
          line = readFirstLine(path);
        } catch {
          line = '';
        }
      }
      return line;
    },
  };
}
