// Worker entry: runs a transfer study, reports its progress lines, and writes the HTML report.
import { serveTask } from '../engine/worker.js';
import { runStudy, type StudyOptions, type StudyResult } from '../pipelines/spikes/study.js';
import { writeStudyReport } from '../report/spikes-study.js';

export type StudyOutcome = StudyResult & { report: string | null };

await serveTask<Omit<StudyOptions, 'onProgress'>, string, StudyOutcome>(async (options, report) => {
  const result = await runStudy({ ...options, onProgress: report });
  if (!result.complete) return { ...result, report: null };
  report('writing the HTML report');
  return { ...result, report: writeStudyReport(options.out) };
});
