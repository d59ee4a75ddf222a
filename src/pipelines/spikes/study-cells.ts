/**
 * The store of a study's results, owning its folder layout (shaped like cache.ts):
 * `cells/MODEL/SOURCE__TARGET.json` (one transfer cell each, under the key that made it),
 * `models/` (training folders) and `study.json` (the summary). The study writes it; the
 * report and `spikes study status` read it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/atomic.js';
import { readValidated } from '../../core/schema.js';
import type { StudyCell, StudyResult } from './study.js';

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

  write(cell: StudyCell): void {
    writeFileAtomic(this.cellFile(cell.model, cell.source, cell.target), JSON.stringify(cell));
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
