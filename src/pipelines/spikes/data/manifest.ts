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
import { slurmResourcesSchema, type SlurmResources } from '../../../cluster/batch-script.js';
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { fieldPath } from '../../../core/schema.js';
import { InputError } from '../../../core/errors.js';
import { SPIKE_FORMATS } from '../../../io/spikes/registry.js';
import { MAX_RASTER_CELLS, MIN_BIN_MS, type Splits, type UnitRule } from './binning.js';

/** A manifest lists datasets: a few KB. Anything past this is not a manifest. */
const MAX_MANIFEST_BYTES = 4 << 20;
/**
 * YAML aliases (`*name`) a manifest may use. Each alias can expand to a whole subtree, so
 * without a bound nine lines of nested aliases ("billion laughs") expand to 10^9 nodes.
 */
const MAX_YAML_ALIASES = 100;

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
    /** Resources of each job of `spikes study --executor slurm` (options override them). */
    cluster: slurmResourcesSchema.optional(),
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
  /** Where the entry was written (`datasets[2]` of a manifest file): errors about it name this. */
  origin: { file: string; field: string };
}

export interface Manifest {
  file: string;
  datasets: DatasetSpec[];
  cluster?: SlurmResources;
}

export const PAPER_DEFAULTS = {
  inVitroStartS: 1800,
  inVivoStartS: 0,
  lengthS: 600,
  binMs: 1,
  units: { rule: 'skip-take', skip: 100, take: 128 } as UnitRule,
  splits: { train: 0.5, val: 0.25, test: 0.25 } as Splits,
};

/**
 * YAML or JSON text as data, with every failure one InputError line: a UTF-8 BOM is dropped
 * (editors on Windows add one to JSON as to YAML), alias expansion is bounded, and deep
 * nesting (a stack overflow in the parser) is reported as such.
 */
function parseText(text: string, file: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  const json = /\.json$/i.test(file);
  try {
    return json
      ? JSON.parse(body)
      : YAML.parse(body, { maxAliasCount: MAX_YAML_ALIASES, prettyErrors: false });
  } catch (err) {
    // With prettyErrors off the parser gives only an offset: turn it into line and column.
    const offset = (err as { pos?: [number, number] }).pos?.[0];
    let at = '';
    if (offset !== undefined && !/ at line \d+/.test(String((err as Error).message))) {
      const before = body.slice(0, offset).split('\n');
      at = ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
    }
    const message = ((err as Error).message ?? String(err)) + at;
    const problem =
      err instanceof RangeError || /call stack/i.test(message)
        ? 'nested too deeply (or too large) to be a manifest'
        : message.split('\n')[0].trim();
    const clipped = problem.length > 200 ? `${problem.slice(0, 200)}…` : problem;
    throw new InputError(file, undefined, `not valid ${json ? 'JSON' : 'YAML'}: ${clipped}`);
  }
}

/**
 * Bin width bounds, per dataset (the raster is bins × units bytes, allocated at once):
 *   - at least MIN_BIN_MS (10 µs): below one sample period of the fastest acquisition we
 *     read (MaxWell 20 kHz = 50 µs, Neuropixels 30 kHz = 33 µs), finer bins only add empty
 *     rows (and 1e-300 ms would ask for a 4e304-row array);
 *   - at most the window's length: a wider bin gives zero bins;
 *   - bins × units at most MAX_RASTER_CELLS (see binning.ts).
 */
function checkBins(
  file: string,
  field: string,
  binMs: number,
  window: { lengthS: number },
  units: UnitRule,
): void {
  const lengthMs = window.lengthS * 1000;
  if (!(binMs >= MIN_BIN_MS && binMs <= lengthMs * (1 + 1e-9))) {
    throw new InputError(
      file,
      field,
      `${binMs} ms; expected ${MIN_BIN_MS} ms ≤ bin_ms ≤ the window length (${lengthMs} ms)`,
    );
  }
  const nUnits = units.rule === 'skip-take' ? units.take : units.n;
  const bins = Math.round(lengthMs / binMs);
  if (bins * nUnits > MAX_RASTER_CELLS) {
    throw new InputError(
      file,
      field,
      `${binMs} ms over a ${window.lengthS} s window is ${bins} bins × ${nUnits} units = ${bins * nUnits} raster cells; expected at most ${MAX_RASTER_CELLS} (use wider bins, a shorter window or fewer units)`,
    );
  }
}

/** `datasets[2].window.start_s` from a zod issue path. */
export function parseManifest(text: string, file: string): Manifest {
  const raw = parseText(text, file);
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
    const lengthS = d.window?.length_s ?? def.window?.length_s ?? PAPER_DEFAULTS.lengthS;
    const units = d.units ?? def.units ?? PAPER_DEFAULTS.units;
    const binMs = d.bin_ms ?? def.bin_ms ?? PAPER_DEFAULTS.binMs;
    checkBins(
      file,
      d.bin_ms === undefined && def.bin_ms !== undefined
        ? 'defaults.bin_ms'
        : `datasets[${i}].bin_ms`,
      binMs,
      { lengthS },
      units,
    );
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
        lengthS,
      },
      units,
      binS: binMs / 1000,
      splits: d.splits ?? def.splits ?? PAPER_DEFAULTS.splits,
      origin: { file, field: `datasets[${i}]` },
    };
  });
  return { file, datasets, cluster: m.cluster };
}

function allowedKeys(path: (string | number)[]): string {
  if (path.length === 0) return 'version, defaults, datasets, cluster';
  if (path[0] === 'cluster' && path.length === 1)
    return Object.keys(slurmResourcesSchema.shape).join(', ');
  if (path[0] === 'defaults' && path.length === 1) return Object.keys(overridable).join(', ');
  if (path[0] === 'datasets' && path.length === 2)
    return Object.keys(datasetSchema.shape).join(', ');
  return 'see the documentation';
}

/** The manifest's dataset with this id (an InputError naming the ids there are when none). */
export function datasetSpec(manifest: Manifest, id: string): DatasetSpec {
  const spec = manifest.datasets.find((d) => d.id === id);
  if (!spec)
    throw new InputError(
      manifest.file,
      'datasets',
      `no dataset with id '${id}' (ids: ${manifest.datasets.map((d) => d.id).join(', ')})`,
    );
  return spec;
}

export function loadManifest(file: string): Manifest {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_MANIFEST_BYTES) {
      throw new InputError(
        file,
        undefined,
        `${size} bytes; expected a manifest of at most ${MAX_MANIFEST_BYTES} bytes`,
      );
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(file, undefined, 'cannot read the manifest file');
  }
  return parseManifest(text, file);
}
