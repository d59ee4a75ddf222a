import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

test('the package root exports the metrics and loads no native addon', () => {
  const root = new URL('../../src/index.js', import.meta.url).href;
  // A fresh process, so nothing else has loaded the addon before the check.
  const script = `
    const m = await import(${JSON.stringify(root)});
    const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
    console.log(JSON.stringify({
      roc: m.rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]),
      ap: m.averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]),
      f1: m.macroF1(['a', 'b', 'b'], ['a', 'b', 'a']),
      confusion: m.confusionMatrix(['a', 'b', 'b'], ['a', 'b', 'a']).counts,
      addon: maps.includes('neurobridge_native'),
      spca: m.fitSparsePca({ gram: [[1, 0.5], [0.5, 1]] }, { components: 1, nonZero: [2] }).loadings.length,
      forest: typeof m.fitRandomForest === 'function' && typeof m.readH5ad === 'function' && typeof m.readFeatureTable === 'function',
    }));`;
  const out = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
  );
  // sklearn's documented examples: roc_auc_score → 0.75, average_precision_score → 0.8333…
  assert.equal(out.roc, 0.75);
  assert.ok(Math.abs(out.ap - 0.8333333333333333) < 1e-12);
  assert.ok(Math.abs(out.f1 - 2 / 3) < 1e-12);
  assert.deepEqual(out.confusion, [
    [1, 0],
    [1, 1],
  ]);
  assert.equal(out.addon, false);
  assert.equal(out.spca, 2, 'sparse PCA, forests and the ephys/cells readers need no addon');
  assert.equal(out.forest, true);
});
