// Worker entry: runs a transfer study and reports its progress lines.
import { serveTask } from '../engine/worker.js';
import { runStudy, type StudyOptions, type StudyResult } from '../pipelines/spikes/study.js';

await serveTask<Omit<StudyOptions, 'onProgress'>, string, StudyResult>((options, report) =>
  runStudy({ ...options, onProgress: report }),
);
