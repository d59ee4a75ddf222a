import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  glmBaselinesFile,
  loadOrFitGlmBaselines,
} from '../../src/pipelines/spikes/baselines/glm-baselines.js';
import { sliceBins } from '../../src/pipelines/spikes/data/raster.js';
import { Rng } from '../../src/core/random.js';

function raster(bins: number, units: number, seed: number) {
  const rng = new Rng(seed);
  const data = new Uint8Array(bins * units);
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform() < 0.02 + 0.01 * (i % units) ? 1 : 0;
  return { bins, units, data };
}

test('GLM baselines are fitted once, stored, and reload to the same predictions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-glms-'));
  try {
    const all = raster(6000, 3, 1);
    const train = sliceBins(all, 0, 4000);
    const held = sliceBins(all, 4000, 6000);
    const file = glmBaselinesFile(dir, 'a', 'data-key', '0.1.0');
    let fits = 0;
    const fitted = loadOrFitGlmBaselines(file, train, () => fits++);
    const reloaded = loadOrFitGlmBaselines(file, train, () => fits++);
    assert.equal(fits, 1, 'the second call reads the stored fit');
    assert.deepEqual(reloaded.glm.predict(held), fitted.glm.predict(held));
    assert.deepEqual(reloaded.coupledGlm.predict(held), fitted.coupledGlm.predict(held));

    assert.notEqual(file, glmBaselinesFile(dir, 'a', 'other-data', '0.1.0'), 'keyed by data');
    assert.notEqual(file, glmBaselinesFile(dir, 'a', 'data-key', '0.2.0'), 'keyed by code');

    // A damaged entry (cut short by a kill) is refitted, not trusted.
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 100));
    loadOrFitGlmBaselines(file, train, () => fits++);
    assert.equal(fits, 2);
    // An entry for a different unit count is refitted too.
    const wide = sliceBins(raster(4000, 4, 2), 0, 4000);
    loadOrFitGlmBaselines(file, wide, () => fits++);
    assert.equal(fits, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
