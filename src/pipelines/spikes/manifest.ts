/**
 * Dataset manifests (YAML or JSON) for spike pipelines, validated with zod.
 *
 * Defaults follow the paper: windows of 10 min, starting at 30 min for in-vitro cultures
 * (past the settling period) and at 0 for in-vivo recordings; 1 ms bins; units 101–228 by id
 * (skip 100, take 128); contiguous 50/25/25 train/val/test. A manifest's `defaults` block
 * overrides these, and each dataset can override any of them again.
 *
 * ```yaml
 * defaults: { bin_ms: 1, units: { rule: skip-take, skip: 100, take: 128 } }
 * datasets:
 *   - id: culture-1
 *     domain: in_vitro
 *     region: cortex
 *     path: data/culture-1      # relative to the manifest
 *     format: alf               # optional, detected from the path otherwise
 *     window: { start_s: 1800, length_s: 600 }
 *   - id: plate1-A1
 *     domain: in_vitro
 *     path: data/plate1_spike_list.csv.gz   # Axion: one dataset per well
 *     well: A1
 * ```
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { fieldPath, parseYamlOrJson } from '../../core/schema.js';
import { InputError } from '../../core/errors.js';
import { SPIKE_FORMATS } from '../../io/spikes/registry.js';
import type { Splits, UnitRule } from './binning.js';

const unitRule = z.discriminatedUnion('rule', [
  z
    .object({
      rule: z.literal('skip-take'),
      skip: z.number().int().nonnegative().default(100),
      take: z.number().int().positive().default(128),
    })
    .strict(),
  z.object({ rule: z.literal('top-rate'), n: z.number().int().positive() }).strict(),
  z
    .object({ rule: z.literal('random'), n: z.number().int().positive(), seed: z.number().int() })
    .strict(),
]);

const window = z
  .object({
    start_s: z.number().nonnegative().optional(),
    length_s: z.number().positive().optional(),
  })
  .strict();

const splits = z
  .object({
    train: z.number().min(0).max(1),
    val: z.number().min(0).max(1),
    test: z.number().min(0).max(1),
  })
  .strict()
  .refine((s) => Math.abs(s.train + s.val + s.test - 1) < 1e-9, {
    message: 'expected train + val + test = 1',
  });

const overridable = {
  window: window.optional(),
  units: unitRule.optional(),
  bin_ms: z.number().positive().optional(),
  splits: splits.optional(),
};

const datasetSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected letters, digits, ., _ or -'),
    domain: z.string().min(1),
    region: z.string().optional(),
    path: z.string().min(1),
    format: z.enum(SPIKE_FORMATS as [string, ...string[]]).optional(),
    sample_rate_hz: z.number().positive().optional(),
    labels: z.array(z.string()).optional(),
    well: z.string().min(1).optional(),
    ...overridable,
  })
  .strict();

const manifestSchema = z
  .object({
    version: z.literal(1).optional(),
    defaults: z.object(overridable).strict().optional(),
    datasets: z.array(datasetSchema).min(1),
  })
  .strict();

export interface DatasetSpec {
  id: string;
  domain: string;
  region?: string;
  /** Absolute path to the data. */
  path: string;
  format?: string;
  sampleRateHz?: number;
  labels?: string[];
  /** Multi-well plates (Axion, MaxWell): the well this dataset is. */
  well?: string;
  window: { startS: number; lengthS: number };
  units: UnitRule;
  binS: number;
  splits: Splits;
}

export interface Manifest {
  file: string;
  datasets: DatasetSpec[];
}

export const PAPER_DEFAULTS = {
  inVitroStartS: 1800,
  inVivoStartS: 0,
  lengthS: 600,
  binMs: 1,
  units: { rule: 'skip-take', skip: 100, take: 128 } as UnitRule,
  splits: { train: 0.5, val: 0.25, test: 0.25 } as Splits,
};

/** `datasets[2].window.start_s` from a zod issue path. */
export function parseManifest(text: string, file: string): Manifest {
  const raw = parseYamlOrJson(text, file);
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = fieldPath(issue.path) || '(top level)';
    const extra =
      issue.code === 'unrecognized_keys' ? ` (allowed: ${allowedKeys(issue.path)})` : '';
    throw new InputError(
      file,
      where,
      `${issue.message.replace(/^[A-Z]/, (c) => c.toLowerCase())}${extra}`,
    );
  }
  const m = parsed.data;
  const seen = new Set<string>();
  const base = dirname(resolve(file));
  const datasets = m.datasets.map((d, i): DatasetSpec => {
    if (seen.has(d.id))
      throw new InputError(
        file,
        `datasets[${i}].id`,
        `duplicate id '${d.id}'; expected unique ids`,
      );
    seen.add(d.id);
    const def = m.defaults ?? {};
    const domainStart =
      d.domain === 'in_vitro' ? PAPER_DEFAULTS.inVitroStartS : PAPER_DEFAULTS.inVivoStartS;
    return {
      id: d.id,
      domain: d.domain,
      region: d.region,
      path: resolve(base, d.path),
      format: d.format,
      sampleRateHz: d.sample_rate_hz,
      labels: d.labels,
      well: d.well,
      window: {
        startS: d.window?.start_s ?? def.window?.start_s ?? domainStart,
        lengthS: d.window?.length_s ?? def.window?.length_s ?? PAPER_DEFAULTS.lengthS,
      },
      units: d.units ?? def.units ?? PAPER_DEFAULTS.units,
      binS: (d.bin_ms ?? def.bin_ms ?? PAPER_DEFAULTS.binMs) / 1000,
      splits: d.splits ?? def.splits ?? PAPER_DEFAULTS.splits,
    };
  });
  return { file, datasets };
}

function allowedKeys(path: (string | number)[]): string {
  if (path.length === 0) return 'version, defaults, datasets';
  if (path[0] === 'defaults' && path.length === 1) return Object.keys(overridable).join(', ');
  if (path[0] === 'datasets' && path.length === 2)
    return Object.keys(datasetSchema.shape).join(', ');
  return 'see the documentation';
}

export function loadManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError(file, undefined, 'cannot read the manifest file');
  }
  return parseManifest(text, file);
}
