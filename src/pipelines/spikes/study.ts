/**
 * The N × N transfer study (Shimono 2026): one model per dataset (and loss), each scored
 * one step ahead on every dataset's test split. Every cell is stored under a key of (data
 * hashes, training config, code version); a killed study recomputes only missing cells.
 * Summaries follow the paper's Table 2 (self, within-domain others, both cross-domain
 * directions) with t-tests, and a 3-D stress map of the datasets.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.js';
import { meanSd, oneSampleTTest, pairedTTest, type TTestResult } from '../../stats/index.js';
import { dissimilarityFromScores, projectTo2d, stressLayout } from '../../stats/layout.js';
import type { LossName } from '../../models/losses.js';
import type { SpikeTransformer } from '../../models/spike-transformer.js';
import { alignmentPermutation, permuteUnits, type UnitAlignment } from './alignment.js';
import { fitMultiScaleGlm, type MultiScaleGlm } from './multiscale-glm.js';
import { fitCoupledGlm, type CoupledGlm } from './coupled-glm.js';
import type { BinaryRaster } from './raster.js';
import { loadDataset, type LoadedDataset } from './dataset.js';
import {
  modelVariant,
  needsCalibration,
  scoreOnTarget,
  sourceCalibration,
  variantConfig,
  validationScorer,
  type PresetName,
  type SpikeSplits,
  type TransferScores,
} from './experiment.js';
import { loadManifest } from './manifest.js';
import { trainSpikeModel, type TrainConfig } from './train.js';
import { probeModel, type ModelProbes } from './probes.js';

export interface StudyOptions {
  manifest: string;
  out: string;
  /** Preset for entries of `losses` that name only a loss. */
  preset: PresetName;
  /** Models to train: presets (`default`), losses (`dice`, with `preset`) or `paper:dice`. */
  losses: string[];
  seed: number;
  maxEpochs?: number;
  codeVersion: string;
  /** How a target's units fill the model's slots in cross-dataset cells (self cells: as recorded). */
  alignment?: UnitAlignment;
  /** Only train models on these datasets (a worker process's share); no summary is written. */
  sources?: string[];
  /** Stop after computing this many new cells (tests simulate a kill with it). */
  stopAfterCells?: number;
  onProgress?: (message: string) => void;
}

export interface StudyCell {
  key: string;
  /** The model entry (see StudyOptions.losses) and its loss. */
  model: string;
  loss: LossName;
  source: string;
  target: string;
  scores: TransferScores;
  /** Seconds spent scoring this cell (and training its model, on the self cell). */
  seconds: { scoring: number; training?: number };
  /** Self cells only: curves, raster, interpretation and ablations of the model on its own data. */
  probes?: ModelProbes;
}

export interface BaselineSummary {
  rocAuc: { mean: number; sd: number };
  averagePrecision: { mean: number; sd: number };
  bitsPerSpike: { mean: number; sd: number };
}

export interface GroupSummary {
  cells: number;
  rocAuc: { mean: number; sd: number };
  prAuc: { mean: number; sd: number };
  averagePrecision: { mean: number; sd: number };
  bitsPerSpike: { mean: number; sd: number };
  /** The multi-scale history GLM (fitted on the source's train split) on the same cells. */
  glm: BaselineSummary;
  /** The coupled GLM (Pillow et al. 2008) on the same cells. */
  coupledGlm?: BaselineSummary;
  /** One-sample t-test of ROC-AUC against 0.5. */
  rocVsChance: TTestResult | null;
  /** Paired t-test of ROC-AUC against the rate baseline on the same cells. */
  rocVsRate: TTestResult | null;
  /** Paired t-test of ROC-AUC against the multi-scale GLM on the same cells. */
  rocVsGlm: TTestResult | null;
}

export interface StudyResult {
  datasets: { id: string; domain: string; key: string }[];
  losses: Record<
    string,
    {
      /** rocAuc[i][j]: model trained on i, scored on j's test split. */
      rocAuc: number[][];
      prAuc: number[][];
      averagePrecision: number[][];
      groups: Record<string, GroupSummary>;
      map: { coordinates: number[][]; stress: number; projection2d: number[][] };
    }
  >;
  computedCells: number;
  cachedCells: number;
  complete: boolean;
  /** How cross-dataset cells fed the target's units into the model's slots (see alignment.ts). */
  unitAlignment: UnitAlignment;
  /** What made this result: enough to repeat it. */
  run: {
    manifest: string;
    preset: PresetName;
    seed: number;
    codeVersion: string;
    node: string;
    /** Training configuration per loss. */
    config: Record<string, TrainConfig>;
    startedAt: string;
    finishedAt: string;
    seconds: number;
  };
}

/** Where a study keeps the cell of `model` trained on `source`, scored on `target`. */
export function studyCellFile(out: string, model: string, source: string, target: string): string {
  return join(out, 'cells', model.replace(/:/g, '-'), `${source}__${target}.json`);
}

const digest = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 20);

function trainingConfig(o: StudyOptions, entry: string, units: number): TrainConfig {
  return variantConfig(modelVariant(entry, o.preset), units, o);
}

export async function runStudy(o: StudyOptions): Promise<StudyResult> {
  const manifest = loadManifest(o.manifest);
  const data: LoadedDataset[] = [];
  for (const spec of manifest.datasets) {
    o.onProgress?.(`preparing ${spec.id}`);
    data.push(await loadDataset(o.manifest, spec.id));
  }
  const startedAt = new Date();
  let computed = 0;
  let cached = 0;
  let stopped = false;
  const result: StudyResult = {
    datasets: data.map((d) => ({ id: d.spec.id, domain: d.spec.domain, key: d.key })),
    losses: {},
    computedCells: 0,
    cachedCells: 0,
    complete: false,
    unitAlignment: o.alignment ?? 'none',
    run: {
      manifest: o.manifest,
      preset: o.preset,
      seed: o.seed,
      codeVersion: o.codeVersion,
      node: process.version,
      config: Object.fromEntries(
        o.losses.map((loss) => [loss, trainingConfig(o, loss, data[0]?.meta.units ?? 128)]),
      ),
      startedAt: startedAt.toISOString(),
      finishedAt: '',
      seconds: 0,
    },
  };
  // The baselines depend on the source's train split only: fitted once, shared by the models.
  const baselines = new Map<number, { glm: MultiScaleGlm; coupledGlm: CoupledGlm }>();
  const baselinesOf = (i: number) => {
    if (!baselines.has(i)) {
      o.onProgress?.(`fitting the GLM baselines on ${data[i].spec.id}`);
      baselines.set(i, {
        glm: fitMultiScaleGlm(data[i].splits.train),
        coupledGlm: fitCoupledGlm(data[i].splits.train),
      });
    }
    return baselines.get(i)!;
  };
  for (const entry of o.losses) {
    const { loss } = modelVariant(entry, o.preset);
    const folder = entry.replace(/:/g, '-');
    const n = data.length;
    const cells: (StudyCell | null)[][] = data.map(() => data.map(() => null));
    for (let i = 0; i < n && !stopped; i++) {
      if (o.sources && !o.sources.includes(data[i].spec.id)) continue;
      const config = trainingConfig(o, entry, data[i].meta.units);
      const modelKey = digest({ data: data[i].key, config, code: o.codeVersion });
      const alignment = o.alignment ?? 'none';
      const cellKeys = data.map((t, j) =>
        digest({ model: modelKey, target: t.key, alignment: i === j ? 'none' : alignment }),
      );
      const cellFiles = data.map((t) => studyCellFile(o.out, entry, data[i].spec.id, t.spec.id));
      if (cellFiles.every((f, j) => isCached(f, cellKeys[j]))) {
        cellFiles.forEach(
          (f, j) => (cells[i][j] = JSON.parse(readFileSync(f, 'utf8')) as StudyCell),
        );
        cached += n;
        continue;
      }
      o.onProgress?.(`training on ${data[i].spec.id} (${entry})`);
      const trainStart = performance.now();
      const { best } = trainSpikeModel(
        data[i].splits.train,
        config,
        join(o.out, 'models', `${data[i].spec.id}-${folder}-${modelKey}`),
        {
          validate: validationScorer(data[i].splits, config),
          startGlm: () => baselinesOf(i).glm,
        },
      );
      const { glm, coupledGlm } = baselinesOf(i);
      const calibration = needsCalibration(loss) ? sourceCalibration(best, data[i].splits) : false;
      const trainingSeconds = (performance.now() - trainStart) / 1000;
      for (let j = 0; j < n; j++) {
        if (isCached(cellFiles[j], cellKeys[j])) {
          cells[i][j] = JSON.parse(readFileSync(cellFiles[j], 'utf8')) as StudyCell;
          cached++;
          continue;
        }
        if (o.stopAfterCells !== undefined && computed >= o.stopAfterCells) {
          stopped = true;
          break;
        }
        o.onProgress?.(`scoring ${data[i].spec.id} → ${data[j].spec.id} (${entry})`);
        const target =
          i === j
            ? data[j].splits
            : aligned(data[j].splits, data[i].splits.train, alignment, best, o.seed);
        const scoreStart = performance.now();
        const scored = scoreOnTarget(best, data[i].splits, target, {
          glm,
          coupledGlm,
          calibration,
        });
        const { scores } = scored;
        const cell: StudyCell = {
          key: cellKeys[j],
          model: entry,
          loss,
          source: data[i].spec.id,
          target: data[j].spec.id,
          scores,
          seconds: { scoring: (performance.now() - scoreStart) / 1000 },
        };
        if (i === j) {
          o.onProgress?.(`probing ${data[i].spec.id} (${entry}): interpretation and ablations`);
          cell.probes = probeModel({
            model: best,
            loss,
            splits: data[i].splits,
            ...scored,
            rateMatchedThreshold: scores.transformer.thresholds.rateMatched.threshold,
            seed: o.seed,
            glm,
          });
          cell.seconds.training = trainingSeconds;
        }
        writeFileAtomic(cellFiles[j], JSON.stringify(cell));
        cells[i][j] = cell;
        computed++;
      }
      best.dispose();
    }
    if (stopped || o.sources) continue;
    result.losses[entry] = summarise(cells as StudyCell[][], data, o.seed);
  }
  result.computedCells = computed;
  result.cachedCells = cached;
  result.complete = !stopped && !o.sources;
  result.run.finishedAt = new Date().toISOString();
  result.run.seconds = (Date.now() - startedAt.getTime()) / 1000;
  if (result.complete) writeFileAtomic(join(o.out, 'study.json'), JSON.stringify(result, null, 2));
  return result;
}

/** The target's val and test splits with units reordered into the model's slots. */
function aligned(
  target: SpikeSplits,
  sourceTrain: BinaryRaster,
  alignment: UnitAlignment,
  model: SpikeTransformer,
  seed: number,
): SpikeSplits {
  if (alignment === 'none') return target;
  const perm = alignmentPermutation(alignment, sourceTrain, target.val, model, seed);
  return {
    train: target.train,
    val: permuteUnits(target.val, perm),
    test: permuteUnits(target.test, perm),
  };
}

function isCached(file: string, key: string): boolean {
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as StudyCell).key === key;
  } catch {
    return false; // a damaged cell is recomputed
  }
}

function summarise(
  cells: StudyCell[][],
  data: LoadedDataset[],
  seed: number,
): StudyResult['losses'][string] {
  const metric = (f: (s: TransferScores) => number) =>
    cells.map((row) => row.map((c) => f(c.scores)));
  const rocAuc = metric((s) => s.transformer.pooled.rocAuc);
  const domains = data.map((d) => d.spec.domain);
  const groups: Record<string, GroupSummary> = {};
  const add = (name: string, pick: (i: number, j: number) => boolean) => {
    const chosen = cells.flat().filter((c) => {
      const i = data.findIndex((d) => d.spec.id === c.source);
      const j = data.findIndex((d) => d.spec.id === c.target);
      return pick(i, j);
    });
    if (chosen.length === 0) return;
    const roc = chosen.map((c) => c.scores.transformer.pooled.rocAuc);
    const rate = chosen.map((c) => c.scores.baselines.rate.pooled.rocAuc);
    const glm = chosen.map((c) => c.scores.baselines.glm);
    const baseline = (scores: TransferScores['transformer'][]): BaselineSummary => ({
      rocAuc: meanSd(scores.map((g) => g.pooled.rocAuc)),
      averagePrecision: meanSd(scores.map((g) => g.pooled.averagePrecision)),
      bitsPerSpike: meanSd(scores.map((g) => g.bitsPerSpike)),
    });
    groups[name] = {
      cells: chosen.length,
      rocAuc: meanSd(roc),
      prAuc: meanSd(chosen.map((c) => c.scores.transformer.pooled.prAuc)),
      averagePrecision: meanSd(chosen.map((c) => c.scores.transformer.pooled.averagePrecision)),
      bitsPerSpike: meanSd(chosen.map((c) => c.scores.transformer.bitsPerSpike)),
      glm: baseline(glm),
      coupledGlm: baseline(chosen.map((c) => c.scores.baselines.coupledGlm)),
      rocVsChance: roc.length > 1 ? oneSampleTTest(roc, 0.5) : null,
      rocVsRate: roc.length > 1 ? pairedTTest(roc, rate) : null,
      rocVsGlm:
        roc.length > 1
          ? pairedTTest(
              roc,
              glm.map((g) => g.pooled.rocAuc),
            )
          : null,
    };
  };
  for (const domain of new Set(domains)) {
    add(`${domain}: self`, (i, j) => i === j && domains[i] === domain);
    add(
      `${domain}: others within domain`,
      (i, j) => i !== j && domains[i] === domain && domains[j] === domain,
    );
  }
  for (const a of new Set(domains))
    for (const b of new Set(domains))
      if (a !== b) add(`${a} → ${b}`, (i, j) => domains[i] === a && domains[j] === b);
  // ROC-AUC in (0, 1] as the transfer score for the map (clamped away from 0).
  const layout = stressLayout(
    dissimilarityFromScores(rocAuc.map((r) => r.map((v) => Math.max(v, 1e-3)))),
    { seed },
  );
  return {
    rocAuc,
    prAuc: metric((s) => s.transformer.pooled.prAuc),
    averagePrecision: metric((s) => s.transformer.pooled.averagePrecision),
    groups,
    map: {
      coordinates: layout.coordinates,
      stress: layout.stress,
      projection2d: projectTo2d(layout.coordinates),
    },
  };
}
