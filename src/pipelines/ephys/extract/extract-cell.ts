/**
 * Everything the extraction computes for one cell (one NWB file): each sweep's stimulus
 * epoch and protocol, the long-square, short-square and ramp analyses, the IPFX-named cell
 * record and the excluded sweeps with their reasons.
 */
import type { Sweep } from '../../../io/ephys/nwb-icephys.js';
import { cellRecord, type CellRecord } from './cell-record.js';
import {
  analyzeLongSquares,
  analyzeRamps,
  analyzeShortSquares,
  type Exclusion,
  type LongSquareResult,
  type RampResult,
  type ShortSquareResult,
  type SweepTrace,
} from './protocols.js';
import { stimulusEpoch } from './stimulus.js';

export interface CellExtraction {
  file: string;
  cellId: string;
  traces: SweepTrace[];
  longSquare?: LongSquareResult;
  shortSquare?: ShortSquareResult;
  ramp?: RampResult;
  record: CellRecord;
  excluded: Exclusion[];
}

export interface ExtractOptions {
  /** Seconds from sweep start; replaces detection from the stimulus trace. */
  stimulusWindow?: { start: number; end: number };
  /** Called after each sweep's epoch is found (progress). */
  onSweep?: () => void;
}

export function extractCell(
  cellId: string,
  file: string,
  sweeps: Sweep[],
  o: ExtractOptions = {},
): CellExtraction {
  const excluded: Exclusion[] = [];
  const traces: SweepTrace[] = [];
  for (const s of sweeps) {
    const t = Float64Array.from(s.voltageMv, (_, k) => k / s.samplingRateHz);
    const epoch = stimulusEpoch(t, s.stimulusPa, o.stimulusWindow);
    if ('reason' in epoch) excluded.push({ sweep_number: s.sweepNumber, reason: epoch.reason });
    else
      traces.push({
        sweepNumber: s.sweepNumber,
        t,
        v: s.voltageMv,
        i: s.stimulusPa,
        samplingRateHz: s.samplingRateHz,
        epoch,
      });
    o.onSweep?.();
  }
  const of = (p: string) => traces.filter((s) => s.epoch.protocol === p);
  const longSquare = analyzeLongSquares(of('long_square'), excluded);
  const shortSquare = analyzeShortSquares(of('short_square'), excluded);
  const ramp = analyzeRamps(of('ramp'), excluded);
  return {
    file,
    cellId,
    traces,
    longSquare,
    shortSquare,
    ramp,
    record: cellRecord(longSquare, shortSquare, ramp),
    excluded: excluded.sort((a, b) => a.sweep_number - b.sweep_number),
  };
}
