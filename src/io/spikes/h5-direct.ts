/**
 * HDF5 spike reads in the calling thread: what the isolating worker (`h5-worker.ts`) runs, and
 * what `h5-isolate.ts` falls back to when no worker can have WebAssembly memory. Also the
 * messages between the two.
 */
import type { SerializedError } from '../../core/errors.js';
import { withH5 } from './h5-read.js';
import { SPIKE_FORMAT_REGISTRY, spikeFormat } from './formats.js';
import type { ReadOptions, SpikeFormat, SpikeTrains } from './types.js';

export type IsolatedRequest =
  | { kind: 'read'; format: SpikeFormat; path: string; options: ReadOptions }
  | { kind: 'sniff'; path: string };

/** Reads in this thread. */
export async function readDirect(
  format: SpikeFormat,
  path: string,
  options: ReadOptions,
): Promise<SpikeTrains> {
  return spikeFormat(format, path).read(path, options);
}

/** The format an `.h5`/`.hdf5` file's contents say, in this thread, or null. */
export async function sniffDirect(path: string): Promise<SpikeFormat | null> {
  const sniffers = SPIKE_FORMAT_REGISTRY.filter((d) => d.detectContents);
  const found = await withH5(path, (f) => sniffers.find((d) => d.detectContents!(f)));
  return found ? found.name : null;
}

/** Answers a request in this thread. */
export function runDirect(req: IsolatedRequest): Promise<unknown> {
  return req.kind === 'read'
    ? readDirect(req.format, req.path, req.options)
    : sniffDirect(req.path);
}

export type IsolatedReply =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: SerializedError };
