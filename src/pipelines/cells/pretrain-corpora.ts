/**
 * `neurobridge cells pretrain` as a function: pretrain the encoder (masked genes + SimCSE,
 * optionally the cross-species InfoNCE) on every tokenized corpus of a folder, resuming when
 * the output folder holds a checkpoint of the same configuration.
 */
import { UsageError } from '../../core/errors.js';
import { CELL_ENCODER_PRESETS, type CellEncoderPresetName } from '../../models/cell-encoder.js';
import { corpusNames, readTokenizedCorpus, readVocabulary } from './corpus-files.js';
import {
  defaultPretrainConfig,
  pretrainEncoder,
  type PretrainConfig,
  type PretrainProgress,
} from './pretrain.js';
import { orthologView } from './pretrain-loss.js';

export interface PretrainCorporaOptions {
  /** Folder written by `cells tokenize`. */
  tokens: string;
  preset: CellEncoderPresetName;
  epochs: number;
  batchSize: number;
  lr: number;
  simcseWeight: number;
  /** Weight of the cross-species InfoNCE (0: off); needs a unified vocabulary. */
  crossSpecies: number;
  seed: number;
  out: string;
}

export function pretrainCorpora(
  o: PretrainCorporaOptions,
  onStep?: (p: PretrainProgress, config: PretrainConfig) => void,
) {
  const preset = CELL_ENCODER_PRESETS[o.preset];
  const { vocab } = readVocabulary(o.tokens);
  if (o.crossSpecies > 0 && vocab.mode !== 'unified')
    throw new UsageError(
      '--cross-species needs a unified vocabulary (cells tokenize --vocabulary unified)',
    );
  const names = corpusNames(o.tokens);
  if (names.length === 0) throw new UsageError(`${o.tokens}: no tokenized corpus in this folder`);
  const parts = names.map((n) => readTokenizedCorpus(o.tokens, n).corpus);
  const L = parts[0].maxLength;
  if (L > preset.maxLength)
    throw new UsageError(
      `cells were tokenized to ${L} tokens; preset ${o.preset} takes ${preset.maxLength} (re-tokenize with --max-length)`,
    );
  const tokens = new Int32Array(parts.reduce((s, p) => s + p.tokens.length, 0));
  let at = 0;
  for (const p of parts) {
    tokens.set(p.tokens, at);
    at += p.tokens.length;
  }
  const base = defaultPretrainConfig({ ...preset, maxLength: L, vocabSize: vocab.size });
  const config: PretrainConfig = {
    ...base,
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    seed: o.seed,
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
  return pretrainEncoder({ tokens, maxLength: L }, config, o.out, {
    onStep: onStep && ((p) => onStep(p, config)),
  });
}
