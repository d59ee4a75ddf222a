/**
 * The store of a study's results, owning its folder layout (shaped like cache.ts):
 * `cells/MODEL/SOURCE__TARGET.json` (one transfer cell each, under the key that made it),
 * `cells/written.log` (one line per cell written, for audits), `claims/` (who is computing
 * which model), `models/` (training folders), `baselines/` (each source's GLMs), `plan.json` (every cell's key) and
 * `study.json` (the summary). The study writes it; the report and `spikes study status`
 * read it.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
import { writeFileAtomic } from '../../../core/atomic.js';
import { readValidated } from '../../../core/schema.js';
import type { LossName } from '../../../models/losses.js';
import type { TTestResult } from '../../../stats/index.js';
import type { ModelProbes } from '../analysis/probes.js';
import { glmBaselinesFile } from '../baselines/glm-baselines.js';
import type { PresetName } from '../model/experiment.js';
import type { TrainConfig } from '../model/train.js';
import type { UnitAlignment } from '../transfer/alignment.js';
import type { TransferCalibration, TransferScores } from '../transfer/transfer.js';

export interface StudyCell {
  key: string;
  /** The model entry (see StudySettings.losses) and its loss. */
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
  /** The rate baseline on the same cells (cross-dataset: the same target data as the model). */
  rate?: BaselineSummary;
  /** Models stacked with their GLMs: the transformer alone on the same cells. */
  modelAlone?: BaselineSummary;
  /** The multi-scale history GLM (fitted on the source's train split) on the same cells. */
  glm: BaselineSummary;
  /** The coupled GLM (Pillow et al. 2008) on the same cells. */
  coupledGlm?: BaselineSummary;
  /** The population GLM (filters shared by all units; population-glm.ts) on the same cells. */
  populationGlm?: BaselineSummary;
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
  /** How cross-dataset outputs were recalibrated on the target's validation split. */
  transferCalibration?: TransferCalibration;
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

/** Model entries such as `paper:dice` become folder names without the colon. */
export const modelFolder = (model: string) => model.replace(/:/g, '-');

const studyResultSchema = z
  .object({
    datasets: z.array(z.object({ id: z.string(), domain: z.string(), key: z.string() })),
    losses: z.record(z.object({ rocAuc: z.array(z.array(z.number().nullable())) }).passthrough()),
    complete: z.boolean(),
    run: z.object({ manifest: z.string() }).passthrough(),
  })
  .passthrough() as unknown as z.ZodType<StudyResult, z.ZodTypeDef, unknown>;

/** Every model of a study and the key each of its cells must carry (written at the start). */
export interface StudyPlanRecord {
  manifest: string;
  datasets: string[];
  units: { model: string; source: string; modelKey: string; cellKeys: Record<string, string> }[];
}

const planSchema = z.object({
  manifest: z.string(),
  datasets: z.array(z.string()),
  units: z.array(
    z.object({
      model: z.string(),
      source: z.string(),
      modelKey: z.string(),
      cellKeys: z.record(z.string()),
    }),
  ),
}) as z.ZodType<StudyPlanRecord, z.ZodTypeDef, unknown>;

export class StudyCells {
  constructor(readonly dir: string) {}

  /** Where the cell of `model` trained on `source`, scored on `target`, is kept. */
  cellFile(model: string, source: string, target: string): string {
    return join(this.dir, 'cells', modelFolder(model), `${source}__${target}.json`);
  }

  /** The training folder of a model (its key makes a changed config or data a new folder). */
  modelDir(model: string, source: string, modelKey: string): string {
    return join(this.dir, 'models', `${source}-${modelFolder(model)}-${modelKey}`);
  }

  /** The GLM baselines of a source (glm-baselines.ts), shared by every model of the study. */
  glmBaselinesFile(source: string, dataKey: string, codeVersion: string): string {
    return glmBaselinesFile(join(this.dir, 'baselines'), source, dataKey, codeVersion);
  }

  get summaryFile(): string {
    return join(this.dir, 'study.json');
  }

  /**
   * The stored cell if it was made under `key`; null when missing, made under another key,
   * or damaged (e.g. a run killed by a power cut before the file system synced): recomputed.
   */
  cached(model: string, source: string, target: string, key: string): StudyCell | null {
    const file = this.cellFile(model, source, target);
    if (!existsSync(file)) return null;
    try {
      const cell = JSON.parse(readFileSync(file, 'utf8')) as StudyCell;
      return cell.key === key ? cell : null;
    } catch {
      return null;
    }
  }

  /** Stores a cell atomically and records who wrote it in `cells/written.log`. */
  write(cell: StudyCell, writer: string): void {
    writeFileAtomic(this.cellFile(cell.model, cell.source, cell.target), JSON.stringify(cell));
    appendFileSync(
      join(this.dir, 'cells', 'written.log'),
      `${new Date().toISOString()} ${cell.key} ${modelFolder(cell.model)}/${cell.source}__${cell.target} ${writer}\n`,
    );
  }

  claimFile(model: string, source: string): string {
    return join(this.dir, 'claims', `${modelFolder(model)}__${source}.claim`);
  }

  /**
   * Claims the model trained on `source` for `holder`: true when the claim is now held
   * (created, already ours, or taken over from a holder `alive` says is gone), false when
   * a live holder has it. Creation is exclusive (O_EXCL), so of two claimants one wins.
   */
  claim(model: string, source: string, holder: string, alive: (holder: string) => boolean) {
    const file = this.claimFile(model, source);
    mkdirSync(join(this.dir, 'claims'), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(file, holder, { flag: 'wx' });
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const current = this.claimHolder(model, source);
      if (current === holder) return true;
      if (current !== null && alive(current)) return false;
      rmSync(file, { force: true });
    }
    return false;
  }

  claimHolder(model: string, source: string): string | null {
    try {
      return readFileSync(this.claimFile(model, source), 'utf8').trim();
    } catch {
      return null;
    }
  }

  release(model: string, source: string, holder: string): void {
    if (this.claimHolder(model, source) === holder)
      rmSync(this.claimFile(model, source), { force: true });
  }

  get planFile(): string {
    return join(this.dir, 'plan.json');
  }

  writePlan(plan: StudyPlanRecord): void {
    writeFileAtomic(this.planFile, JSON.stringify(plan, null, 2));
  }

  readPlan(): StudyPlanRecord {
    if (!existsSync(this.planFile))
      throw new InputError(
        this.planFile,
        undefined,
        'no plan.json: this is not a study folder (run `neurobridge spikes study` first)',
      );
    return readValidated(this.planFile, planSchema);
  }

  /** A cell that must exist (the report of a finished study). */
  read(model: string, source: string, target: string): StudyCell {
    const file = this.cellFile(model, source, target);
    if (!existsSync(file)) throw new InputError(file, undefined, 'study cell file is missing');
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as StudyCell;
    } catch {
      throw new InputError(file, undefined, 'damaged (not JSON): re-run the study to recompute it');
    }
  }

  writeSummary(result: StudyResult): void {
    writeFileAtomic(this.summaryFile, JSON.stringify(result, null, 2));
  }

  readSummary(): StudyResult {
    if (!existsSync(this.summaryFile))
      throw new InputError(
        this.summaryFile,
        undefined,
        'no study.json: run `neurobridge spikes study` first',
      );
    return readValidated(this.summaryFile, studyResultSchema);
  }
}
