/**
 * The GLM baselines of a source (multi-scale, coupled and population), fitted on its train split
 * only, kept on disk under a key of (data, GLM options, code version): every model of a
 * study, a resumed study and a second study on the same folder reuse one fit instead of
 * refitting (1–4 minutes per real session on 2 cores). Reloaded GLMs predict exactly what
 * the fitted ones did (JSON numbers round-trip float32 and float64 exactly).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../../core/atomic.js';
import { readJsonIfComplete } from '../../../core/json.js';
import { CoupledGlm, DEFAULT_COUPLED_GLM, fitCoupledGlm } from './coupled-glm.js';
import { DEFAULT_MULTISCALE_GLM, MultiScaleGlm, fitMultiScaleGlm } from './multiscale-glm.js';
import { DEFAULT_POPULATION_GLM, PopulationGlm, fitPopulationGlm } from './population-glm.js';
import type { BinaryRaster } from '../data/raster.js';
import { jsonDigest } from '../data/cache.js';

export interface GlmBaselines {
  glm: MultiScaleGlm;
  coupledGlm: CoupledGlm;
  populationGlm: PopulationGlm;
}

/** Fits every GLM baseline on `train`. */
export function fitGlmBaselines(train: BinaryRaster): GlmBaselines {
  return {
    glm: fitMultiScaleGlm(train),
    coupledGlm: fitCoupledGlm(train),
    populationGlm: fitPopulationGlm(train),
  };
}

/** The file of one source's baselines: its key covers the train data and the GLM options. */
export function glmBaselinesFile(dir: string, source: string, dataKey: string, code: string) {
  const key = jsonDigest({
    data: dataKey,
    glm: DEFAULT_MULTISCALE_GLM,
    coupled: DEFAULT_COUPLED_GLM,
    population: DEFAULT_POPULATION_GLM,
    code,
  });
  return join(dir, `${source}-${key}.json`);
}

/**
 * The baselines stored in `file`, or fitted on `train` and stored there (atomically; two
 * processes fitting the same source write the same content). A damaged or foreign file is
 * refitted, never trusted.
 */
export function loadOrFitGlmBaselines(
  file: string,
  train: BinaryRaster,
  onFit?: () => void,
): GlmBaselines {
  const stored = readJsonIfComplete<Record<keyof GlmBaselines, unknown>>(file);
  if (stored) {
    try {
      const loaded = {
        glm: MultiScaleGlm.fromJSON(stored.glm, file),
        coupledGlm: CoupledGlm.fromJSON(stored.coupledGlm, file),
        populationGlm: PopulationGlm.fromJSON(stored.populationGlm, file),
      };
      if (Object.values(loaded).every((m) => m.units === train.units)) return loaded;
    } catch {
      // fall through: refit
    }
  }
  onFit?.();
  const fitted = fitGlmBaselines(train);
  writeFileAtomic(file, JSON.stringify(fitted));
  return fitted;
}
