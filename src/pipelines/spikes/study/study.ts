/**
 * The N × N transfer study (Shimono 2026): one model per dataset (and loss), each scored
 * one step ahead on every dataset's test split. Every cell is stored under a key of (data
 * hashes, training config, code version); a killed study recomputes only missing cells.
 * Summaries follow the paper's Table 2 (self, within-domain others, both cross-domain
 * directions) with t-tests, and a 3-D stress map of the datasets.
 */
import { currentHolder, holderAlive } from '../../../cluster/holder.js';
import type { PlattScaling } from '../../../stats/calibration.js';
import { meanSd, oneSampleTTest, pairedTTest } from '../../../stats/index.js';
import { dissimilarityFromScores, projectTo2d, stressLayout } from '../../../stats/layout.js';
import type { LossName } from '../../../models/losses.js';
import type { SpikeTransformer } from '../../../models/spike-transformer.js';
import type { UnitAlignment } from '../transfer/alignment.js';
import {
  DEFAULT_TRANSFER,
  scoreTransfer,
  type TransferCalibration,
  type TransferScores,
} from '../transfer/transfer.js';
import { loadOrFitGlmBaselines, type GlmBaselines } from '../baselines/glm-baselines.js';
import {
  fitOutputStack,
  OUTPUT_RULE,
  stacksWithGlms,
  type OutputStack,
} from '../baselines/stack.js';
import { jsonDigest } from '../data/cache.js';
import { loadDataset, type LoadedDataset } from '../data/dataset.js';
import { loadManifest, type Manifest } from '../data/manifest.js';
import {
  modelVariant,
  needsCalibration,
  scoreOnTarget,
  sourceCalibration,
  variantConfig,
  validationScorer,
} from '../model/experiment.js';
import { committedEpochs, trainSpikeModel, type TrainConfig } from '../model/train.js';
import { probeModel } from '../analysis/probes.js';
import type { StudyHooks, StudySettings } from './settings.js';
import {
  StudyCells,
  type BaselineSummary,
  type GroupSummary,
  type StudyCell,
  type StudyPlanRecord,
  type StudyResult,
} from './study-cells.js';

function trainingConfig(o: StudySettings, entry: string, units: number): TrainConfig {
  return variantConfig(modelVariant(entry, o.preset), units, o);
}

/** The datasets and the models of a study, each with the keys its cells must carry. */
export interface StudyPlan {
  context: StudyContext;
  units: SourcePlan[];
  /** What was written to the folder's plan.json. */
  record: StudyPlanRecord;
}

/**
 * Loads (bins, cached) every dataset of the parsed manifest and plans every model; records
 * the plan in the folder.
 */
export async function planStudy(
  o: StudySettings,
  manifest: Manifest,
  hooks: StudyHooks = {},
): Promise<StudyPlan> {
  const data: LoadedDataset[] = [];
  for (const spec of manifest.datasets) {
    hooks.onProgress?.(`preparing ${spec.id}`);
    data.push(await loadDataset(spec));
  }
  const store = new StudyCells(o.out);
  const context: StudyContext = { o, hooks, data, store, baselines: new Map() };
  const units = o.losses.flatMap((entry) => data.map((_, i) => planSource(context, entry, i)));
  const record: StudyPlanRecord = {
    manifest: o.manifest,
    datasets: data.map((d) => d.spec.id),
    units: units.map((u) => ({
      model: u.entry,
      source: u.source.spec.id,
      modelKey: u.modelKey,
      cellKeys: Object.fromEntries(data.map((t, j) => [t.spec.id, u.cellKeys[j]])),
    })),
  };
  store.writePlan(record);
  return { context, units, record };
}

/** The stored cells of a planned model (null where missing or made under another key). */
export function storedCells(context: StudyContext, plan: SourcePlan): (StudyCell | null)[] {
  return context.data.map((t, j) =>
    context.store.cached(plan.entry, plan.source.spec.id, t.spec.id, plan.cellKeys[j]),
  );
}

/**
 * Runs a study: the manifest (parsed once, here unless given) is planned, then computed.
 * `startedAt`: when the run began, for a summary written after worker processes did the work.
 */
export async function runStudy(
  o: StudySettings,
  hooks: StudyHooks = {},
  manifest: Manifest = loadManifest(o.manifest),
  startedAt = new Date(),
): Promise<StudyResult> {
  return runPlannedStudy(await planStudy(o, manifest, hooks), startedAt);
}

/** Computes a planned study's missing cells (claiming each model), then summarises it. */
export async function runPlannedStudy(
  plan: StudyPlan,
  startedAt = new Date(),
): Promise<StudyResult> {
  const { context, units } = plan;
  const { o, hooks, data, store } = context;
  let computed = 0;
  let cached = 0;
  let stopped = false;
  let busy = false;
  const result: StudyResult = {
    datasets: data.map((d) => ({ id: d.spec.id, domain: d.spec.domain, key: d.key })),
    losses: {},
    computedCells: 0,
    cachedCells: 0,
    complete: false,
    unitAlignment: alignmentOf(o),
    transferCalibration: calibrationOf(o),
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
  const holder = currentHolder();
  for (const entry of o.losses) {
    const n = data.length;
    const cells: (StudyCell | null)[][] = data.map(() => data.map(() => null));
    let entryComplete = true;
    for (const plan of units.filter((u) => u.entry === entry)) {
      if (stopped) break;
      const i = plan.index;
      if (o.sources && !o.sources.includes(data[i].spec.id)) continue;
      const stored = storedCells(context, plan);
      if (stored.every((c) => c !== null)) {
        cells[i] = stored;
        cached += n;
        continue;
      }
      if (hooks.signal?.aborted) {
        stopped = true;
        break;
      }
      // Two runs (jobs, processes) never compute the same model's cells at once.
      if (!store.claim(entry, plan.source.spec.id, holder, holderAlive)) {
        const other = store.claimHolder(entry, plan.source.spec.id);
        hooks.onProgress?.(`skipping ${plan.source.spec.id} (${entry}): ${other} is computing it`);
        busy = true;
        entryComplete = false;
        continue;
      }
      try {
        const trained = trainSource(context, plan);
        for (let j = 0; j < n; j++) {
          if (stored[j]) {
            cells[i][j] = stored[j];
            cached++;
            continue;
          }
          if (hooks.signal?.aborted) {
            stopped = true;
            break;
          }
          const cell = scoreCell(context, plan, trained, j);
          store.write(cell, holder);
          hooks.onCell?.(cell);
          cells[i][j] = cell;
          computed++;
        }
        trained.best.dispose();
      } finally {
        store.release(entry, plan.source.spec.id, holder);
      }
    }
    if (stopped || o.sources || !entryComplete) continue;
    result.losses[entry] = summarise(cells as StudyCell[][], data, o.seed);
  }
  result.computedCells = computed;
  result.cachedCells = cached;
  result.complete = !stopped && !busy && !o.sources;
  result.run.finishedAt = new Date().toISOString();
  result.run.seconds = (Date.now() - startedAt.getTime()) / 1000;
  if (result.complete) store.writeSummary(result);
  return result;
}

/** What every step of a study shares. */
export interface StudyContext {
  o: StudySettings;
  hooks: StudyHooks;
  data: LoadedDataset[];
  store: StudyCells;
  /** The GLM baselines depend on the source's train split only: fitted once per source. */
  baselines: Map<number, GlmBaselines>;
}

/** One model of the study: an entry (preset/loss) trained on one source dataset. */
export interface SourcePlan {
  entry: string;
  loss: LossName;
  index: number;
  source: LoadedDataset;
  config: TrainConfig;
  /** Keys of the model and of its cells: data hashes, configuration and code version. */
  modelKey: string;
  cellKeys: string[];
}

interface TrainedSource {
  best: SpikeTransformer;
  calibration: PlattScaling | false;
  /** Models stacked with their GLMs (stack.ts): the slopes chosen on the source's val split. */
  stack: OutputStack | null;
  baselines: GlmBaselines;
  trainingSeconds: number;
}

function planSource(c: StudyContext, entry: string, i: number): SourcePlan {
  const source = c.data[i];
  const config = trainingConfig(c.o, entry, source.meta.units);
  const modelKey = jsonDigest({ data: source.key, config, code: c.o.codeVersion });
  const transfer = { alignment: alignmentOf(c.o), calibration: calibrationOf(c.o) };
  const cellKeys = c.data.map((t, j) =>
    jsonDigest(
      i === j
        ? { model: modelKey, target: t.key, alignment: 'none', output: OUTPUT_RULE }
        : { model: modelKey, target: t.key, ...transfer, output: OUTPUT_RULE },
    ),
  );
  return {
    entry,
    loss: modelVariant(entry, c.o.preset).loss,
    index: i,
    source,
    config,
    modelKey,
    cellKeys,
  };
}

/** Fitted once per source and kept in the study folder for every model and later runs. */
function baselinesOf(c: StudyContext, i: number): GlmBaselines {
  if (!c.baselines.has(i)) {
    const { spec, key, splits } = c.data[i];
    const file = c.store.glmBaselinesFile(spec.id, key, c.o.codeVersion);
    const baselines = loadOrFitGlmBaselines(file, splits.train, () =>
      c.hooks.onProgress?.(`fitting the GLM baselines on ${spec.id}`),
    );
    c.baselines.set(i, baselines);
  }
  return c.baselines.get(i)!;
}

/** Trains (or resumes, or reloads) the plan's model; calibrates Dice/focal scores. */
function trainSource(c: StudyContext, plan: SourcePlan): TrainedSource {
  const { source, config, entry } = plan;
  const dir = c.store.modelDir(entry, source.spec.id, plan.modelKey);
  const resumeAt = committedEpochs(dir);
  c.hooks.onProgress?.(
    resumeAt > 0
      ? `resuming training on ${source.spec.id} (${entry}) after epoch ${resumeAt} of its checkpoint`
      : `training on ${source.spec.id} (${entry})`,
  );
  const started = performance.now();
  const { best } = trainSpikeModel(source.splits.train, config, dir, {
    validate: validationScorer(source.splits, config),
    startGlm: () => baselinesOf(c, plan.index).glm,
    signal: c.hooks.signal,
    onEpoch: (record) => c.hooks.onEpoch?.(source.spec.id, entry, record),
  });
  const baselines = baselinesOf(c, plan.index);
  const calibration = needsCalibration(plan.loss) ? sourceCalibration(best, source.splits) : false;
  const stack = stacksWithGlms(config)
    ? fitOutputStack({ model: best, ...baselines }, source.splits)
    : null;
  return {
    best,
    calibration,
    stack,
    baselines,
    trainingSeconds: (performance.now() - started) / 1000,
  };
}

/** Scores the trained model on target j's test split; the self cell also carries the probes. */
function scoreCell(
  c: StudyContext,
  plan: SourcePlan,
  trained: TrainedSource,
  j: number,
): StudyCell {
  const { o, hooks, data } = c;
  const { source, entry, loss } = plan;
  const target = data[j];
  hooks.onProgress?.(`scoring ${source.spec.id} → ${target.spec.id} (${entry})`);
  const self = plan.index === j;
  const started = performance.now();
  const scored = self
    ? scoreOnTarget(trained.best, source.splits, target.splits, {
        ...trained.baselines,
        calibration: trained.calibration,
        stack: trained.stack ?? undefined,
      })
    : scoreTransfer(trained.best, source.splits, target.splits, {
        ...trained.baselines,
        platt: trained.calibration,
        stack: trained.stack,
        settings: { alignment: alignmentOf(o), calibration: calibrationOf(o), seed: o.seed },
      });
  const cell: StudyCell = {
    key: plan.cellKeys[j],
    model: entry,
    loss,
    source: source.spec.id,
    target: target.spec.id,
    scores: scored.scores,
    seconds: { scoring: (performance.now() - started) / 1000 },
  };
  if (self) {
    hooks.onProgress?.(`probing ${source.spec.id} (${entry}): interpretation and ablations`);
    cell.probes = probeModel({
      model: trained.best,
      loss,
      splits: source.splits,
      ...scored,
      rateMatchedThreshold: scored.scores.transformer.thresholds.rateMatched.threshold,
      seed: o.seed,
      glm: trained.baselines.glm,
    });
    cell.seconds.training = trained.trainingSeconds;
  }
  return cell;
}

const alignmentOf = (o: StudySettings): UnitAlignment => o.alignment ?? DEFAULT_TRANSFER.alignment;
const calibrationOf = (o: StudySettings): TransferCalibration =>
  o.calibration ?? DEFAULT_TRANSFER.calibration;

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
      rate: baseline(chosen.map((c) => c.scores.baselines.rate)),
      ...(chosen.every((c) => c.scores.modelAlone)
        ? { modelAlone: baseline(chosen.map((c) => c.scores.modelAlone!)) }
        : {}),
      glm: baseline(glm),
      coupledGlm: baseline(chosen.map((c) => c.scores.baselines.coupledGlm)),
      ...(chosen.every((c) => c.scores.baselines.populationGlm)
        ? { populationGlm: baseline(chosen.map((c) => c.scores.baselines.populationGlm!)) }
        : {}),
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
