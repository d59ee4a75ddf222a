/**
 * The stimulus epoch of a sweep and its protocol, from the stimulus trace (IPFX
 * `get_stim_characteristics`): the epoch starts at the first change of the current after an
 * optional test pulse and ends at its last change; its amplitude is the extreme current
 * inside. A `--stimulus-window` replaces detection (e.g. a pre-pulse before the step).
 */
import { findTimeIndex } from './time-series.js';

export type Protocol = 'long_square' | 'short_square' | 'ramp';

export interface StimulusEpoch {
  /** Seconds from sweep start. */
  start: number;
  end: number;
  startIndex: number;
  endIndex: number;
  /** Extreme current in the epoch (pA), sign kept. */
  amplitudePa: number;
  testPulse: boolean;
  protocol: Protocol;
  /** 'stimulus' when found from the trace, 'window' when given. */
  source: 'stimulus' | 'window';
}

/** A short square lasts at most this long (IPFX's short squares are 3 ms; long squares 1 s). */
const SHORT_SQUARE_MAX_S = 0.1;

/** The epoch, or a reason why none can be found. */
export function stimulusEpoch(
  t: ArrayLike<number>,
  i: ArrayLike<number> | null,
  window?: { start: number; end: number },
): StimulusEpoch | { reason: string } {
  if (window) {
    const startIndex = findTimeIndex(t, Math.min(window.start, t[t.length - 1]));
    const endIndex = findTimeIndex(t, Math.min(window.end, t[t.length - 1]));
    if (window.end > t[t.length - 1])
      return {
        reason: `option \`stimulusWindow\` ends at ${window.end} s, after the sweep (${t[t.length - 1].toFixed(3)} s)`,
      };
    const amp = i ? extreme(i, startIndex, endIndex + 1) : NaN;
    return {
      start: window.start,
      end: window.end,
      startIndex,
      endIndex,
      amplitudePa: amp,
      testPulse: false,
      protocol: i
        ? classify(t, i, startIndex, endIndex)
        : window.end - window.start <= SHORT_SQUARE_MAX_S
          ? 'short_square'
          : 'long_square',
      source: 'window',
    };
  }
  if (!i) return { reason: 'no stimulus series; give option `stimulusWindow` START:END' };
  const changes: number[] = [];
  for (let k = 0; k + 1 < i.length; k++) if (i[k + 1] !== i[k]) changes.push(k);
  if (changes.length === 0) return { reason: 'the stimulus is constant (no step, ramp or pulse)' };
  // A test pulse: a first excursion that returns to the starting level, followed by more.
  const testPulse =
    changes.length > 2 && i[changes[1] + 1] === i[changes[0]] && changes[1] + 1 < changes[2] + 1;
  const startIndex = changes[testPulse ? 2 : 0] + 1;
  const endIndex = changes[changes.length - 1];
  if (startIndex >= endIndex) return { reason: 'the stimulus is cut off before it ends' };
  const amplitudePa = extreme(i, startIndex, endIndex + 1);
  return {
    start: t[startIndex],
    end: t[startIndex] + (t[endIndex] - t[startIndex - 1]),
    startIndex,
    endIndex,
    amplitudePa,
    testPulse,
    protocol: classify(t, i, startIndex, endIndex),
    source: 'stimulus',
  };
}

function extreme(i: ArrayLike<number>, a: number, b: number): number {
  let hi = -Infinity;
  let lo = Infinity;
  for (let k = a; k < b; k++) {
    hi = Math.max(hi, i[k]);
    lo = Math.min(lo, i[k]);
  }
  return Math.abs(hi) > Math.abs(lo) ? hi : lo;
}

/** Ramp when the current keeps changing (many distinct levels), else a short or long square by duration. */
function classify(t: ArrayLike<number>, i: ArrayLike<number>, a: number, b: number): Protocol {
  let changes = 0;
  for (let k = a; k < b; k++) if (i[k + 1] !== i[k]) changes++;
  if (changes > 10) return 'ramp';
  return t[b] - t[a] <= SHORT_SQUARE_MAX_S ? 'short_square' : 'long_square';
}
