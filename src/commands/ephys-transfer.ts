/**
 * `neurobridge ephys transfer` as functions: both cohorts on the features they share (QC'd
 * together), the mouse → human strategies cross-validated on the same human folds, and
 * transfer.json + report.html (with the species shift of each feature).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { readCohortSpec } from '../pipelines/ephys/cohort-spec.js';
import { checkTrainable, joinCohort, type JoinedCohort } from '../pipelines/ephys/load.js';
import { onSharedFeatures } from '../pipelines/ephys/shared-features.js';
import { speciesShift } from '../pipelines/ephys/species-shift.js';
import type { StudyStrategy } from '../pipelines/ephys/strategy-names.js';
import { renderSpeciesTransfer, type SpeciesTransferReport } from '../report/ephys.js';

/** Both cohorts as read (before QC) and restricted to their shared features (after QC). */
export interface SpeciesPair extends ReturnType<typeof onSharedFeatures> {
  joined: { mouse: JoinedCohort; human: JoinedCohort };
}

/** Reads both cohort files and keeps the features both have, QC'd per species; checks each can train. */
export async function loadSpeciesPair(mouseFile: string, humanFile: string): Promise<SpeciesPair> {
  const mouse = await joinCohort(readCohortSpec(mouseFile));
  const human = await joinCohort(readCohortSpec(humanFile));
  const pair = onSharedFeatures(mouse.cohort, human.cohort, {
    mouse: mouse.spec.maxMissingFraction,
    human: human.spec.maxMissingFraction,
  });
  checkTrainable(pair.mouse, mouse.spec);
  checkTrainable(pair.human, human.spec);
  return { ...pair, joined: { mouse, human } };
}

/** What transfer.json holds: the report's content, QC of both cohorts and the time taken. */
export type EphysTransferReport = SpeciesTransferReport & {
  qc: SpeciesPair['qc'];
  seconds: number;
};

export interface EphysTransferOptions {
  strategies: StudyStrategy[];
  folds: number;
  repeats: number;
  /** BiLSTM hidden units per direction. */
  hidden: number;
  trees: number;
  seed: number;
  out: string;
  /** Called once the cohorts are read, before any training. */
  onPair?: (pair: SpeciesPair) => void;
  onFold?: (done: number, total: number, strategy: StudyStrategy) => void;
}

/** Runs the transfer study of two cohort files; writes `<out>/transfer.json` and `<out>/report.html`. */
export async function runEphysTransfer(
  mouseFile: string,
  humanFile: string,
  { onPair, ...o }: EphysTransferOptions,
): Promise<{ report: EphysTransferReport; files: { results: string; report: string } }> {
  const started = Date.now();
  const pair = await loadSpeciesPair(mouseFile, humanFile);
  onPair?.(pair);
  // Loaded only now (the BiLSTM strategies load libtorch): a cohort error comes first.
  const { runSpeciesTransfer } = await import('../pipelines/ephys/transfer-study.js');
  const result = runSpeciesTransfer(pair.mouse, pair.human, o);
  const report: EphysTransferReport = {
    ...result,
    sharedFeatures: pair.features,
    qc: pair.qc,
    shift: speciesShift(pair.mouse, pair.human),
    seconds: (Date.now() - started) / 1000,
  };
  const files = { results: join(o.out, 'transfer.json'), report: join(o.out, 'report.html') };
  writeFileAtomic(files.results, JSON.stringify(report, null, 2));
  writeFileAtomic(files.report, renderSpeciesTransfer(report));
  return { report, files };
}
