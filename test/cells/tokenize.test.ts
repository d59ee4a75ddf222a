import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsrBuilder, type CountMatrix } from '../../src/io/cells/types.js';
import {
  orthologsFromPairs,
  readOrthologs,
  summedFamilies,
} from '../../src/pipelines/cells/corpus/orthologs.js';
import { encodeCells, fitGeneMedians } from '../../src/pipelines/cells/corpus/rank-encoding.js';
import { tokenExpression } from '../../src/pipelines/cells/corpus/expression.js';
import { CLS, EOS, Vocabulary } from '../../src/pipelines/cells/corpus/vocabulary.js';
import { orthologView } from '../../src/pipelines/cells/pretrain/pretrain-loss.js';
import {
  CELL_TYPES,
  markerGenes,
  simulateCellCorpus,
  simulatedOrthologTable,
} from '../../src/sim/cells.js';

function matrix(genes: string[], rows: number[][]): CountMatrix {
  const csr = new CsrBuilder();
  for (const r of rows) csr.addRow(genes.length, (g) => r[g]);
  return {
    nCells: rows.length,
    nGenes: genes.length,
    ...csr.build(),
    cellIds: rows.map((_, i) => `c${i}`),
    geneIds: genes,
    obs: {},
    var: {},
    source: { format: 'synthetic', path: 'test' },
  };
}

test('ortholog tables keep one-to-one pairs and count the rest', () => {
  const o = orthologsFromPairs([
    ['Gad1', 'GAD1'],
    ['Pvalb', 'PVALB'],
    ['Pvalb', 'PVALB'], // duplicate row: one pair
    ['H2-K1', 'HLA-A'],
    ['H2-K1', 'HLA-B'], // one mouse gene, two human genes
    ['Ccl3', 'CCL3L1'],
    ['Ccl4', 'CCL3L1'], // two mouse genes, one human gene
  ]);
  assert.deepEqual(
    [...o.mouseToHuman],
    [
      ['Gad1', 'GAD1'],
      ['Pvalb', 'PVALB'],
    ],
  );
  assert.deepEqual(o.dropped, { oneToMany: 2, manyToOne: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'nb-orth-'));
  writeFileSync(join(dir, 'bad.tsv'), 'mouse\thuman\nGad1\tGAD1\n');
  assert.throws(
    () => readOrthologs(join(dir, 'bad.tsv')),
    /no column named 'mouse_gene'; the columns are: 'mouse', 'human'/,
  );
});

test('unified vocabulary: orthologs share a token, other genes stay species-specific; separate mode shares none', () => {
  const o = orthologsFromPairs([['Gad1', 'GAD1']]);
  const corpora = [
    { species: 'human' as const, genes: ['GAD1', 'XIST'] },
    { species: 'mouse' as const, genes: ['Gad1', 'Xist'] },
  ];
  const v = Vocabulary.build(corpora, o);
  assert.equal(v.tokenOf('human', 'GAD1'), v.tokenOf('mouse', 'Gad1'));
  assert.notEqual(v.tokenOf('human', 'XIST'), v.tokenOf('mouse', 'Xist'), 'no matching by case');
  assert.equal(v.size, 4 + 3);
  assert.equal(v.nameOf(v.tokenOf('mouse', 'Xist')!), 'mouse:Xist');
  assert.deepEqual([...v.sharedTokens()], [v.tokenOf('human', 'GAD1')]);
  // The ortholog view keeps <cls> and shared genes, in order, and drops species-specific ones.
  const view = orthologView(v.sharedTokens());
  const row = Int32Array.from([2, v.tokenOf('mouse', 'Xist')!, v.tokenOf('mouse', 'Gad1')!, 0]);
  assert.deepEqual(Array.from(view(row, 4)), [2, v.tokenOf('human', 'GAD1')!, 0, 0]);
  const s = Vocabulary.build(corpora, null, 'separate');
  assert.equal(s.size, 4 + 4);
  assert.deepEqual(Vocabulary.fromJSON(JSON.parse(JSON.stringify(v))).toJSON(), v.toJSON());
});

test('summed paralogs: a family with one partner shares its token; many-to-many families stay dropped', () => {
  const pairs: [string, string][] = [
    ['Gad1', 'GAD1'],
    ['Ins1', 'INS'],
    ['Ins2', 'INS'], // two mouse genes, one human gene: a mouse family
    ['H2-K1', 'HLA-A'],
    ['H2-K1', 'HLA-B'], // one mouse gene, two human genes: a human family
    ['Ccl3', 'CCL3L1'],
    ['Ccl4', 'CCL3L1'],
    ['Ccl3', 'CCL3'], // Ccl3 and CCL3L1 both have two partners: no single partner, dropped
  ];
  const plain = orthologsFromPairs(pairs);
  assert.equal(plain.families.size, 0);
  assert.deepEqual(plain.dropped, { oneToMany: 4, manyToOne: 3 });
  const o = orthologsFromPairs(pairs, { sumParalogs: true });
  assert.deepEqual([...o.mouseToHuman], [['Gad1', 'GAD1']]);
  assert.deepEqual(summedFamilies(o), { families: 2, genes: 6 });
  assert.deepEqual(o.dropped, { oneToMany: 2, manyToOne: 1 });
  const v = Vocabulary.build(
    [
      { species: 'human', genes: ['GAD1', 'INS', 'HLA-A', 'HLA-B', 'CCL3'] },
      { species: 'mouse', genes: ['Gad1', 'Ins1', 'Ins2', 'H2-K1', 'Ccl3'] },
    ],
    o,
  );
  const ins = v.tokenOf('human', 'INS')!;
  assert.equal(v.nameOf(ins), 'human:INS');
  assert.equal(v.tokenOf('mouse', 'Ins1'), ins);
  assert.equal(v.tokenOf('mouse', 'Ins2'), ins);
  const hla = v.tokenOf('mouse', 'H2-K1')!;
  assert.equal(v.nameOf(hla), 'human:HLA-A+HLA-B');
  assert.equal(v.tokenOf('human', 'HLA-B'), hla);
  assert.notEqual(v.tokenOf('human', 'CCL3'), v.tokenOf('mouse', 'Ccl3'));
  assert.deepEqual(
    [...v.sharedTokens()].sort((a, b) => a - b),
    [v.tokenOf('human', 'GAD1')!, ins, hla].sort((a, b) => a - b),
  );
});

test('genes sharing a token count as one gene with their summed count (medians, encoding, linear counts)', () => {
  const o = orthologsFromPairs(
    [
      ['Ins1', 'INS'],
      ['Ins2', 'INS'],
      ['Gad1', 'GAD1'],
      ['Sst', 'SST'],
    ],
    { sumParalogs: true },
  );
  const v = Vocabulary.build(
    [
      { species: 'human', genes: ['INS', 'GAD1', 'SST'] },
      { species: 'mouse', genes: ['Ins1', 'Ins2', 'Gad1', 'Sst'] },
    ],
    o,
  );
  // The mouse cells, and the same cells written with one INS column holding Ins1 + Ins2.
  const mouse = matrix(
    ['Ins1', 'Gad1', 'Ins2', 'Sst'],
    [
      [3, 4, 5, 0],
      [0, 2, 7, 9],
      [6, 1, 0, 3],
      [1, 1, 1, 1],
    ],
  );
  const summed = matrix(
    ['INS', 'GAD1', 'SST'],
    [
      [8, 4, 0],
      [7, 2, 9],
      [6, 1, 3],
      [2, 1, 1],
    ],
  );
  const medians = fitGeneMedians([{ matrix: mouse, species: 'mouse' }], v);
  assert.deepEqual(medians, fitGeneMedians([{ matrix: summed, species: 'human' }], v));
  const a = encodeCells(mouse, 'mouse', v, medians, { maxLength: 5 });
  const b = encodeCells(summed, 'human', v, medians, { maxLength: 5 });
  assert.deepEqual(a.tokens, b.tokens);
  assert.deepEqual(a.lengths, b.lengths);
  assert.equal(a.skippedGenes, 0);
  const ea = tokenExpression(mouse, 'mouse', v);
  const eb = tokenExpression(summed, 'human', v);
  for (const part of ['indptr', 'totals'] as const)
    assert.deepEqual(Array.from(ea[part]), Array.from(eb[part]), part);
  // Same (token, count) pairs per cell; their order within a cell may differ.
  for (let c = 0; c < 4; c++) {
    const cell = (e: typeof ea) =>
      Array.from(e.tokens.subarray(e.indptr[c], e.indptr[c + 1]), (t, i) => [
        t,
        e.counts[e.indptr[c] + i],
      ]).sort((x, y) => x[0] - y[0]);
    assert.deepEqual(cell(ea), cell(eb), `cell ${c}`);
  }
});

test('rank-value encoding equals a brute-force computation (normalisation, medians, order, ties, truncation)', () => {
  const genes = ['A', 'B', 'C', 'D'];
  const rows = [
    [10, 0, 30, 60],
    [5, 5, 0, 0],
    [0, 2, 2, 6],
  ];
  const m = matrix(genes, rows);
  const v = Vocabulary.build([{ species: 'human', genes }], null, 'separate');
  const medians = fitGeneMedians([{ matrix: m, species: 'human' }], v);
  // Brute force: normalised values per gene over cells where it is expressed.
  const norm = rows.map((r) => r.map((x) => (x / r.reduce((a, b) => a + b, 0)) * 10_000));
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  genes.forEach((g, j) => {
    const expressed = norm.map((r) => r[j]).filter((_, c) => rows[c][j] > 0);
    assert.ok(Math.abs(medians.get(v.tokenOf('human', g)!)! - median(expressed)) < 1e-3, g);
  });
  const enc = encodeCells(m, 'human', v, medians, { maxLength: 4 });
  for (let c = 0; c < rows.length; c++) {
    const ranked = genes
      .map((g, j) => ({
        t: v.tokenOf('human', g)!,
        x: rows[c][j]
          ? norm[c][j] / median(norm.map((r) => r[j]).filter((_, k) => rows[k][j] > 0))
          : 0,
      }))
      .filter((e) => e.x > 0)
      .sort((a, b) => b.x - a.x || a.t - b.t)
      .slice(0, 3);
    const expected = [CLS, ...ranked.map((e) => e.t)];
    assert.deepEqual(
      Array.from(enc.tokens.subarray(c * 4, c * 4 + expected.length)),
      expected,
      `cell ${c}`,
    );
    assert.equal(enc.lengths[c], expected.length);
  }
  // Cell 1: A and B have equal normalised value / median = 1 → tie broken by the lower token.
  assert.deepEqual(Array.from(enc.tokens.subarray(4, 8)), [
    CLS,
    v.tokenOf('human', 'A')!,
    v.tokenOf('human', 'B')!,
    0,
  ]);
  const withEos = encodeCells(m, 'human', v, medians, { maxLength: 4, eos: true });
  assert.equal(withEos.tokens[3], EOS);
});

test('simulated corpora: seeded; marker genes rank first in their type; the same type matches across species', () => {
  const human = simulateCellCorpus({ species: 'human', cells: 120, seed: 1 });
  assert.deepEqual(simulateCellCorpus({ species: 'human', cells: 120, seed: 1 }), human);
  const mouse = simulateCellCorpus({ species: 'mouse', cells: 120, seed: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'nb-simcells-'));
  writeFileSync(join(dir, 'orth.tsv'), simulatedOrthologTable());
  const v = Vocabulary.build(
    [
      { species: 'human', genes: human.geneIds },
      { species: 'mouse', genes: mouse.geneIds },
    ],
    readOrthologs(join(dir, 'orth.tsv')),
  );
  const medians = fitGeneMedians(
    [
      { matrix: human, species: 'human' },
      { matrix: mouse, species: 'mouse' },
    ],
    v,
  );
  const L = 20;
  const eh = encodeCells(human, 'human', v, medians, { maxLength: L });
  const em = encodeCells(mouse, 'mouse', v, medians, { maxLength: L });
  const markers = markerGenes('human');
  // Markers among a cell's top 5 genes: far above the 6/460 × 5 expected by chance.
  let hits = 0;
  for (let c = 0; c < human.nCells; c++) {
    const type = human.obs.cell_type[c] as string;
    const top = Array.from(eh.tokens.subarray(c * L + 1, c * L + 6));
    hits += top.filter((t) => markers[type].some((g) => v.tokenOf('human', g) === t)).length;
  }
  assert.ok(hits / human.nCells > 2, `markers per top-5: ${hits / human.nCells}`);
  // Top-token overlap of human and mouse cells: same type vs different types.
  const top = (e: typeof eh, c: number) => new Set(e.tokens.subarray(c * L + 1, c * L + L));
  const overlap = (same: boolean) => {
    let total = 0;
    let n = 0;
    for (let a = 0; a < 40; a++)
      for (let b = 0; b < 40; b++) {
        if ((human.obs.cell_type[a] === mouse.obs.cell_type[b]) !== same) continue;
        const tb = top(em, b);
        total += [...top(eh, a)].filter((t) => tb.has(t)).length;
        n++;
      }
    return total / n;
  };
  assert.ok(
    overlap(true) > 2 * overlap(false),
    `same type ${overlap(true)}, different ${overlap(false)}`,
  );
  assert.equal(CELL_TYPES.length, new Set(human.obs.cell_type).size);
});
