/** Worker thread of `h5-isolate.ts`: reads HDF5 spike files and answers with the result. */
import { parentPort } from 'node:worker_threads';
import { serializeError } from '../../core/errors.js';
import { runDirect, type IsolatedReply, type IsolatedRequest } from './h5-direct.js';

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
      const result = await runDirect(req);
      reply = { id: req.id, ok: true, result };
      transfer = transferables(result);
    } catch (err) {
      // Input and resource errors cross as their one line; others keep this thread's stack.
      reply = { id: req.id, ok: false, error: serializeError(err) };
    }
    parentPort!.postMessage(reply, transfer);
  })();
});
