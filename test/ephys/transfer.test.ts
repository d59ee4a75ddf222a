import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.js';
import {
  predictFamilies,
  type FamilySequences,
} from '../../src/pipelines/ephys/bilstm-training.js';
import {
  trainWithStrategy,
  type TransferData,
} from '../../src/pipelines/ephys/transfer-strategies.js';
import { macroF1 } from '../../src/stats/index.js';

/** Shared class structure (family 2 carries the class) with a species scale/offset shift. */
function cohort(n: number, seed: number, scale: number, offset: number): FamilySequences {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 30);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.int(4);
    for (let f = 0; f < 5; f++) {
      for (let k = 0; k < 6; k++)
        x[(i * 5 + f) * 6 + k] =
          scale * ((f === 2 && k === y[i] ? 1.6 : 0) + rng.normal()) + offset;
    }
  }
  return { x, n, families: 5, width: 6, y };
}

test('mouse pretraining then human fine-tuning beats human-only training on scarce human cells', () => {
  const d: TransferData = {
    mouseTrain: cohort(800, 1, 1, 0),
    mouseVal: cohort(200, 2, 1, 0),
    humanTrain: cohort(60, 3, 1.3, 0.3),
    humanVal: cohort(40, 4, 1.3, 0.3),
    classes: 4,
  };
  const humanTest = cohort(400, 5, 1.3, 0.3);
  const o = {
    lr: 3e-3,
    weightDecay: 1e-4,
    clip: 2,
    batchSize: 64,
    patience: 10,
    maxEpochs: 60,
    seed: 0,
  };
  const f1 = (strategy: 'human-only' | 'pretrain-finetune' | 'joint') =>
    macroF1(
      Array.from(humanTest.y),
      Array.from(predictFamilies(trainWithStrategy(strategy, d, o, 32), humanTest).predicted),
    );
  const humanOnly = f1('human-only');
  const transfer = f1('pretrain-finetune');
  const joint = f1('joint');
  assert.ok(
    transfer > humanOnly + 0.15,
    `pretrain-finetune ${transfer} vs human-only ${humanOnly}`,
  );
  assert.ok(joint > 0.25 && joint < 1, `joint training runs end to end (${joint})`);
});
