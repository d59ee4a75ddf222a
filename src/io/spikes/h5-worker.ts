/** Worker thread of `h5-isolate.ts`: reads HDF5 spike files and answers with the result. */
import { parentPort } from 'node:worker_threads';
import { InputError } from '../../core/errors.js';
import type { IsolatedReply, IsolatedRequest } from './h5-isolate.js';
import { readDirect, sniffDirect } from './registry.js';

/** Buffers owned by exactly one typed array of the result, moved rather than copied. */
function transferables(result: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  if (result && typeof result === 'object') {
    for (const v of Object.values(result)) {
      if (
        ArrayBuffer.isView(v) &&
        v.buffer instanceof ArrayBuffer &&
        v.byteOffset === 0 &&
        v.byteLength === v.buffer.byteLength
      ) {
        out.add(v.buffer);
      }
    }
  }
  return [...out];
}

parentPort!.on('message', (req: IsolatedRequest & { id: number }) => {
  void (async () => {
    let reply: IsolatedReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const result =
        req.kind === 'read'
          ? await readDirect(req.format, req.path, req.options)
          : await sniffDirect(req.path);
      reply = { id: req.id, ok: true, result };
      transfer = transferables(result);
    } catch (err) {
      const e = err as Error;
      reply = {
        id: req.id,
        ok: false,
        error:
          err instanceof InputError
            ? { input: true, name: e.name, message: e.message, file: err.file, field: err.field }
            : { input: false, name: e?.name ?? 'Error', message: String(e?.stack ?? err) },
      };
    }
    parentPort!.postMessage(reply, transfer);
  })();
});
