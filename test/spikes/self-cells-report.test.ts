import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StudyCell } from '../../src/pipelines/spikes/study/study-cells.js';
import type { SpikeScores } from '../../src/pipelines/spikes/model/evaluate.js';
import { stackedSelfCellsSection } from '../../src/report/spikes-self-cells.js';

// Only the fields the table reads.
const scores = (roc: number, ap: number, bits: number) =>
  ({ pooled: { rocAuc: roc, averagePrecision: ap }, bitsPerSpike: bits }) as SpikeScores;

function cell(source: string, stack?: StudyCell['scores']['stack']): StudyCell {
  return {
    source,
    target: source,
    scores: {
      transformer: scores(0.757, 0.0083, 0.056),
      modelAlone: scores(0.755, 0.0076, 0.04),
      baselines: {
        rate: scores(0.748, 0.006, -0.003),
        glm: scores(0.755, 0.0076, 0.04),
        coupledGlm: scores(0.757, 0.0083, 0.056),
        populationGlm: scores(0.755, 0.0074, 0.034),
      },
      stack,
    },
  } as unknown as StudyCell;
}

test('the report names what the default outputs on each stacked self cell, with every choice’s held-out AP', () => {
  assert.equal(stackedSelfCellsSection([cell('a'), cell('b')], 'paper:dice'), null);
  const section = stackedSelfCellsSection(
    [
      cell('human', {
        slopes: [0.5, -0.5, 0.43, 0.57, 0.61],
        validationBins: 60_000,
        output: 'coupledGlm',
        heldOutAp: {
          stack: 0.007,
          model: 0.0069,
          glm: 0.0069,
          coupledGlm: 0.0072,
          populationGlm: NaN,
        },
      }),
      cell('unstacked'),
    ],
    'default',
  )!;
  const table = section.blocks[0];
  assert.ok(table.kind === 'table');
  assert.equal(table.rows.length, 1, 'cells without a stack are left out');
  const row = Object.fromEntries(table.headers.map((h, k) => [h.split(':')[0], table.rows[0][k]]));
  assert.equal(row.session, 'human');
  assert.equal(row['default output'], '0.757 / 0.0083 / 0.056');
  assert.equal(row.chosen, 'coupled GLM');
  assert.equal(
    row['held-out validation AP of each choice'],
    'stack 0.0070, transformer 0.0069, multi-scale GLM 0.0069, coupled GLM 0.0072, population GLM –',
  );
  assert.equal(row['transformer alone'], '0.755 / 0.0076 / 0.040');
  assert.equal(row.rate, '0.748 / 0.0060 / -0.003');
  assert.match(
    table.headers.at(-1)!,
    /^stack slopes \(model, glm, coupledGlm, populationSelf, populationNetwork\)$/,
  );
  assert.equal(table.rows[0].at(-1), '0.50, -0.50, 0.43, 0.57, 0.61');
});
