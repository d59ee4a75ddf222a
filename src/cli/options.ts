/**
 * Command-line options parsed and checked in one place, when commander reads them: numbers
 * with their allowed range, choices from the library's own lists, output folders. A bad
 * value stops the command before any work with one line naming the option, the value and
 * what is allowed, e.g.
 *   error: option '--median-sample <fraction>' argument '1.5' is invalid. expected a number in (0, 1]
 */
import { existsSync, statSync } from 'node:fs';
import { InvalidArgumentError, Option } from 'commander';
import { DEVICE_PATTERN } from '../engine/runtime.js';
import { UNIT_ALIGNMENTS, type UnitAlignment } from '../pipelines/spikes/transfer/alignment.js';
import {
  DEFAULT_TRANSFER,
  TRANSFER_CALIBRATIONS,
  type TransferCalibration,
} from '../pipelines/spikes/transfer/transfer.js';

const fmt = (n: number) =>
  Number.isInteger(n) && Math.abs(n) >= 10000 ? n.toLocaleString('en-US') : String(n);

/**
 * `--device cpu|cuda|cuda:N`: where neural models train (CUDA needs the addon built against a
 * CUDA LibTorch; the check that a device exists happens when the engine loads).
 */
export function deviceOption(): Option {
  return new Option(
    '--device <name>',
    'cpu, cuda or cuda:N (CUDA: the addon built against a CUDA LibTorch, see README)',
  )
    .argParser((value: string) => {
      if (!DEVICE_PATTERN.test(value))
        throw new InvalidArgumentError('expected cpu, cuda or cuda:N');
      return value;
    })
    .default('cpu');
}

/** A whole number in [min, max]; `why` explains the upper bound in the message. */
export function integer(min: number, max: number, why?: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(
        `expected a whole number from ${fmt(min)} to ${fmt(max)}${why ? ` (${why})` : ''}`,
      );
    return n;
  };
}

/** A finite number in the interval; bounds are inclusive unless marked exclusive. */
export function real(
  min: number,
  max: number,
  o: { minExclusive?: boolean; maxExclusive?: boolean; why?: string } = {},
): (value: string) => number {
  const range = `${o.minExclusive ? '(' : '['}${fmt(min)}, ${Number.isFinite(max) ? fmt(max) : '∞'}${o.maxExclusive || !Number.isFinite(max) ? ')' : ']'}`;
  return (value) => {
    const n = Number(value);
    if (
      value.trim() === '' ||
      !Number.isFinite(n) ||
      (o.minExclusive ? n <= min : n < min) ||
      (o.maxExclusive ? n >= max : n > max)
    )
      throw new InvalidArgumentError(`expected a number in ${range}${o.why ? ` (${o.why})` : ''}`);
    return n;
  };
}

/** Random seeds: the generators take 32-bit unsigned seeds. */
export const seed = integer(0, 2 ** 32 - 1);

/** A comma-separated list of distinct seeds, e.g. 0,1,2,3,4. */
export function seedList(value: string): number[] {
  const seeds = value.split(',').map((s) => seed(s.trim()));
  if (new Set(seeds).size !== seeds.length)
    throw new InvalidArgumentError(`expected distinct seeds, got ${value}`);
  return seeds;
}

/** A folder to write into: refused when a file (not a folder) has that name. */
export function outFolder(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a folder name');
  if (existsSync(value) && !statSync(value).isDirectory())
    throw new InvalidArgumentError('a file of that name exists; expected a folder');
  return value;
}

/** An option whose value is one of `values` (listed in --help and in the error). */
export function choice<T extends string>(
  flags: string,
  description: string,
  values: readonly T[],
  defaultValue?: T,
): Option {
  const o = new Option(flags, description).choices(values);
  return defaultValue === undefined ? o : o.default(defaultValue);
}

/** A comma-separated list of entries, each one of `values`. */
export function listOf<T extends string>(values: readonly T[]): (value: string) => T[] {
  return (value) => {
    const items = value.split(',').map((s) => s.trim());
    for (const s of items)
      if (!(values as readonly string[]).includes(s))
        throw new InvalidArgumentError(`'${s}' is not one of ${values.join(', ')}`);
    return items as T[];
  };
}

/**
 * A repeatable `--flag KEY=VALUE` (the value may contain `=` only when `parts` is 2):
 * commander calls it once per occurrence with the list so far.
 */
export function keyValues(flag: string, parts: 2 | 3, example: string) {
  return (value: string, previous: string[][] = []): string[][] => {
    const fields = value.split('=');
    const split =
      parts === 2
        ? [fields[0], fields.slice(1).join('=')]
        : [fields[0], fields[1], fields.slice(2).join('=')];
    if (split.some((f) => f === undefined || f === '') || fields.length < parts)
      throw new InvalidArgumentError(`${flag} '${value}': expected ${example}`);
    return [...previous, split];
  };
}

/** How a model meets another dataset's units (`spikes study`, `spikes eval --target`). */
export const alignmentOption = () =>
  choice(
    '--alignment <rule>',
    "cross-dataset: which target unit fills each model slot: none (index order), rate-rank (rate quantiles) or anneal (simulated annealing on the model's Dice loss from rate-rank); fitted on the target's val split only",
    UNIT_ALIGNMENTS,
    DEFAULT_TRANSFER.alignment,
  );

export const calibrationOption = () =>
  choice(
    '--calibration <rule>',
    "cross-dataset: the output recalibrated on the target's val split: none, offsets (per unit) or affine (per-unit offsets and one shared slope); the GLM baselines get the same",
    TRANSFER_CALIBRATIONS,
    DEFAULT_TRANSFER.calibration,
  );

export const POSITIONAL_ENCODINGS = ['learned', 'rotary', 'alibi', 'none'] as const;

/** The transformer's positions (`spikes train`, `spikes study`); unset: the preset's. */
export const positionalOption = () =>
  choice(
    '--positional <kind>',
    "transformer positions: learned (absolute, the paper's), rotary (RoPE) or alibi (a per-head linear distance penalty), both relative so that generation reuses cached keys and values, or none (default: the preset's, learned)",
    POSITIONAL_ENCODINGS,
  );

/** What `--alignment` and `--calibration` parse to. */
export interface TransferSettingsCli {
  alignment: UnitAlignment;
  calibration: TransferCalibration;
}

/** A stimulus epoch in seconds from sweep start (`ephys extract --stimulus-window`). */
export interface StimulusWindow {
  start: number;
  end: number;
}

/** `START:END` in seconds from sweep start, 0 ≤ START < END. */
export function stimulusWindow(value: string): StimulusWindow {
  const m = /^\s*([0-9.eE+-]+)\s*:\s*([0-9.eE+-]+)\s*$/.exec(value);
  const start = Number(m?.[1]);
  const end = Number(m?.[2]);
  if (!m || !Number.isFinite(start) || !Number.isFinite(end) || start < 0 || end <= start)
    throw new InvalidArgumentError(
      'expected START:END in seconds from sweep start, 0 ≤ START < END (e.g. 1.02:2.02)',
    );
  return { start, end };
}

/** A comma-separated list, entries trimmed (e.g. gene names). */
export function commaList(value: string): string[] {
  return value.split(',').map((s) => s.trim());
}

/** A repeatable option: commander calls it once per occurrence with the list so far. */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
