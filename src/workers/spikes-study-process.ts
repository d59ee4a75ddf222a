// Child-process entry for `spikes study --workers N`: computes one share of the cells.
import { serializeError } from '../core/errors.js';
import { setDefaultDevice } from '../engine/runtime.js';
import type { ChildMessage } from '../pipelines/spikes/study/study-processes.js';
import { runStudy, type StudyOptions } from '../pipelines/spikes/study/study.js';

const send = (m: ChildMessage) => process.send!(m);

process.once('message', (options: Omit<StudyOptions, 'onProgress'>) => {
  Promise.resolve()
    .then(() => {
      setDefaultDevice(options.device ?? 'cpu');
      return runStudy({ ...options, onProgress: (message) => send({ kind: 'progress', message }) });
    })
    .then((r) => send({ kind: 'done', computed: r.computedCells }))
    .catch((e: unknown) => send({ kind: 'error', error: serializeError(e) }))
    .finally(() => process.disconnect());
});
