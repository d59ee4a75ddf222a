/**
 * `neurobridge cells pretrain` as a function: pretrain the encoder (masked genes + SimCSE,
 * optionally the cross-species InfoNCE) on every tokenized corpus of a folder, resuming when
 * the output folder holds a checkpoint of the same configuration.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../../core/atomic.js';
import { UsageError } from '../../../core/errors.js';
import { CELL_ENCODER_PRESETS, type CellEncoderPresetName } from '../../../models/cell-encoder.js';
import { corpusNames, readTokenizedCorpus, readVocabulary } from '../corpus/corpus-files.js';
import { estimatePretrainCost, type PretrainCostEstimate } from './pretrain-cost.js';
import {
  defaultPretrainConfig,
  pretrainEncoder,
  type PretrainConfig,
  type PretrainProgress,
} from './pretrain.js';
import { orthologView } from './pretrain-loss.js';
import type { EmbeddingInit } from './spectral-init.js';

export interface PretrainCorporaOptions {
  /** Folder written by `cells tokenize`. */
  tokens: string;
  preset: CellEncoderPresetName;
  /** Epochs, cells per batch and peak learning rate; default: the preset's (PRESET_TRAINING). */
  epochs?: number;
  batchSize?: number;
  lr?: number;
  simcseWeight: number;
  /** Weight of the cross-species InfoNCE (0: off); needs a unified vocabulary. */
  crossSpecies: number;
  /** Default: spectral (see spectral-init.ts). */
  embeddingInit?: EmbeddingInit;
  seed: number;
  out: string;
}

/**
 * Default training per preset. `small` is sized for ~1,000 real cells × 512 tokens on 2 CPU
 * cores (Baron pancreas: an epoch takes about 2 min, so 6 epochs stay within 15 min); its
 * batches of 8 at a peak rate of 2e-3 give 750 steps, and with spectral gene embeddings the
 * masked-gene loss leaves the unigram plateau (8.61 after 6 epochs against a unigram entropy
 * of 8.98; 8.89 from random embeddings). The others keep BERT-style 16 and 5e-4.
 */
export const PRESET_TRAINING: Record<
  CellEncoderPresetName,
  { epochs: number; batchSize: number; lr: number }
> = {
  paper: { epochs: 10, batchSize: 16, lr: 5e-4 },
  small: { epochs: 6, batchSize: 8, lr: 2e-3 },
  tiny: { epochs: 10, batchSize: 16, lr: 5e-4 },
};

/** The full-size run the cost estimate describes: the `paper` preset at Genecorpus-30M's scale (Geneformer). */
export const FULL_SIZE_RUN = { cells: 30_000_000, tokensPerCell: 2048, epochs: 1 };

export const COST_ESTIMATE_FILE = 'cost-estimate.json';

export function pretrainCorpora(
  o: PretrainCorporaOptions,
  onStep?: (p: PretrainProgress, config: PretrainConfig) => void,
) {
  const preset = CELL_ENCODER_PRESETS[o.preset];
  const { vocab } = readVocabulary(o.tokens);
  if (o.crossSpecies > 0 && vocab.mode !== 'unified')
    throw new UsageError(
      'option `crossSpecies` needs a unified vocabulary (tokenize with option `vocabulary` unified)',
    );
  const names = corpusNames(o.tokens);
  if (names.length === 0) throw new UsageError(`${o.tokens}: no tokenized corpus in this folder`);
  const parts = names.map((n) => readTokenizedCorpus(o.tokens, n).corpus);
  const L = parts[0].maxLength;
  if (L > preset.maxLength)
    throw new UsageError(
      `cells were tokenized to ${L} tokens; preset ${o.preset} takes ${preset.maxLength} (re-tokenize with option \`maxLength\`)`,
    );
  const tokens = new Int32Array(parts.reduce((s, p) => s + p.tokens.length, 0));
  const corpusOfCell = new Int32Array(tokens.length / L);
  let at = 0;
  parts.forEach((p, k) => {
    corpusOfCell.fill(k, at / L, (at + p.tokens.length) / L);
    tokens.set(p.tokens, at);
    at += p.tokens.length;
  });
  const base = defaultPretrainConfig({ ...preset, maxLength: L, vocabSize: vocab.size });
  const config: PretrainConfig = {
    ...base,
    epochs: o.epochs ?? PRESET_TRAINING[o.preset].epochs,
    batchSize: o.batchSize ?? PRESET_TRAINING[o.preset].batchSize,
    lr: o.lr ?? PRESET_TRAINING[o.preset].lr,
    seed: o.seed,
    embeddingInit: o.embeddingInit ?? base.embeddingInit,
    loss: {
      ...base.loss,
      simcseWeight: o.simcseWeight,
      ...(o.crossSpecies > 0
        ? {
            crossSpecies: {
              swap: orthologView(vocab.sharedTokens()),
              weight: o.crossSpecies,
              tau: 0.1,
            },
          }
        : {}),
    },
  };
  const result = pretrainEncoder({ tokens, maxLength: L, corpusOfCell }, config, o.out, {
    onStep: onStep && ((p) => onStep(p, config)),
  });
  const estimate = fullSizeEstimate(result.history, { ...config.model, tokensPerCell: L });
  if (estimate) writeFileAtomic(join(o.out, COST_ESTIMATE_FILE), JSON.stringify(estimate, null, 2));
  return { ...result, estimate };
}

/** The full-size run's cost from the epochs' measured throughput; null when none was measured. */
function fullSizeEstimate(
  history: { seconds: number; tokens?: number }[],
  measured: Parameters<typeof estimatePretrainCost>[1],
): PretrainCostEstimate | null {
  const timed = history.filter((h) => h.tokens !== undefined && h.seconds > 0);
  if (timed.length === 0) return null;
  const tokens = timed.reduce((s, h) => s + (h.tokens ?? 0), 0);
  const seconds = timed.reduce((s, h) => s + h.seconds, 0);
  const paper = CELL_ENCODER_PRESETS.paper;
  return estimatePretrainCost(tokens / seconds, measured, {
    ...paper,
    vocabSize: measured.vocabSize,
    tokensPerCell: FULL_SIZE_RUN.tokensPerCell,
    cells: FULL_SIZE_RUN.cells,
    epochs: FULL_SIZE_RUN.epochs,
  });
}
