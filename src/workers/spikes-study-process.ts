// Child-process entry for `spikes study --workers N`: computes one share of the cells, with
// the manifest as the parent parsed it.
import { serializeError } from '../core/errors.js';
import { setDefaultDevice } from '../engine/runtime.js';
import { loadManifest } from '../pipelines/spikes/data/manifest.js';
import type { ChildMessage } from '../pipelines/spikes/study/study-processes.js';
import { settingsOf, type StudyEnvelope } from '../pipelines/spikes/study/settings.js';
import { runStudy } from '../pipelines/spikes/study/study.js';

const send = (m: ChildMessage) => process.send!(m);

process.once('message', (envelope: StudyEnvelope) => {
  Promise.resolve()
    .then(() => {
      setDefaultDevice(envelope.device ?? 'cpu');
      const settings = settingsOf(envelope);
      return runStudy(
        settings,
        { onProgress: (message) => send({ kind: 'progress', message }) },
        envelope.parsed ?? loadManifest(settings.manifest),
      );
    })
    .then((r) => send({ kind: 'done', computed: r.computedCells }))
    .catch((e: unknown) => send({ kind: 'error', error: serializeError(e) }))
    .finally(() => process.disconnect());
});
