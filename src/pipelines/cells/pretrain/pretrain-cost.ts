/**
 * What a full-size pretraining run would cost, from the throughput measured on a small one:
 * the measured tokens/s scaled by the ratio of multiply-accumulates per token of the two
 * configurations. Per encoder layer and token: Q, K, V and output projections 4·H², the
 * feed-forward 2·H·I, attention scores and weighted sum 2·L·H (L the tokens per cell). A step
 * runs the encoder three times (masked input and two SimCSE views) and the masked-gene head
 * (H² + H·V) on the masked fraction of the tokens; backward costs twice the forward, which
 * cancels in the ratio. A model, not a measurement: larger matrices usually run a little
 * faster per operation on a CPU, attention over 2,048 tokens a little slower.
 */
import type { CellEncoderConfig } from '../../../models/cell-encoder.js';

/** Forward multiply-accumulates per token of one pretraining step. */
export function pretrainMacsPerToken(
  c: Pick<CellEncoderConfig, 'hidden' | 'layers' | 'intermediate' | 'vocabSize'>,
  tokensPerCell: number,
  maskProbability = 0.15,
  encoderPasses = 3,
): number {
  const H = c.hidden;
  const layer = 4 * H * H + 2 * H * c.intermediate + 2 * tokensPerCell * H;
  const head = maskProbability * (H * H + H * c.vocabSize);
  return encoderPasses * c.layers * layer + head;
}

export interface PretrainCostEstimate {
  measured: { tokensPerSecond: number; config: PretrainCostConfig };
  target: PretrainCostConfig & { cells: number; epochs: number };
  /** MACs per token of the target over the measured configuration. */
  costRatio: number;
  tokensPerSecond: number;
  hours: number;
}

type PretrainCostConfig = Pick<
  CellEncoderConfig,
  'hidden' | 'layers' | 'intermediate' | 'vocabSize'
> & { tokensPerCell: number };

/** Hours for `target.cells × target.tokensPerCell` tokens × epochs at the scaled throughput. */
export function estimatePretrainCost(
  measuredTokensPerSecond: number,
  measured: PretrainCostConfig,
  target: PretrainCostConfig & { cells: number; epochs: number },
): PretrainCostEstimate {
  const costRatio =
    pretrainMacsPerToken(target, target.tokensPerCell) /
    pretrainMacsPerToken(measured, measured.tokensPerCell);
  const tokensPerSecond = measuredTokensPerSecond / costRatio;
  const tokens = target.cells * target.tokensPerCell * target.epochs;
  return {
    measured: { tokensPerSecond: measuredTokensPerSecond, config: measured },
    target,
    costRatio,
    tokensPerSecond,
    hours: tokens / tokensPerSecond / 3600,
  };
}
