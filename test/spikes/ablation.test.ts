import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAblations } from '../../src/pipelines/spikes/analysis/ablation.js';
import { PRESETS } from '../../src/pipelines/spikes/model/experiment.js';
import { sliceBins } from '../../src/pipelines/spikes/data/raster.js';
import { trainSpikeModel } from '../../src/pipelines/spikes/model/train.js';
import { cascadeRaster } from './fixtures.js';

test('ablations: a model that learned a cascade loses skill when recent unit identities are shuffled', () => {
  // Unit u fires u bins after the pacemaker: the next spike is predictable only from which
  // unit fired in the last bins, so shuffling units in the recent past must destroy the skill.
  const all = cascadeRaster(4000, 8, 41, 12, 0.005);
  const train = sliceBins(all, 0, 3000);
  const config = {
    ...PRESETS.tiny,
    model: { ...PRESETS.tiny.model, units: 8, context: 32, dropout: 0 },
    maxEpochs: 6,
    stepsPerEpoch: 25,
  };
  const { best } = trainSpikeModel(train, config, mkdtempSync(join(tmpdir(), 'nb-abl-')), {
    validate: () => ({ loss: 0, rocAuc: 0, prAuc: 0, bitsPerSpike: 0 }),
  });
  const r = runAblations(best, sliceBins(all, 3500, 4000), sliceBins(all, 3000, 3500), {
    bins: 300,
    seed: 1,
  });
  assert.equal(r.sampledBins, 300);
  assert.ok(r.scores.intact.rocAuc > 0.8, `intact ROC ${r.scores.intact.rocAuc}`);
  assert.ok(
    r.change['shuffled last 95 %'].rocAuc < -0.1,
    `95 % shuffle change ${r.change['shuffled last 95 %'].rocAuc}`,
  );
  assert.equal(r.change.intact.rocAuc, 0);
  for (const s of Object.values(r.scores)) assert.ok(s.rocAuc >= 0 && s.rocAuc <= 1);
});
