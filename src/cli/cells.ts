/** `neurobridge cells tokenize|pretrain|embed|classify|perturb` and `neurobridge simulate cells`. */
import type { Command } from 'commander';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { UsageError } from '../core/errors.js';
import { wholeNumber } from './options.js';
import { readCounts } from '../io/cells/index.js';
import { h5adInfo, writeH5ad } from '../io/cells/h5ad.js';
import { fitMediansStreaming, tokenizeStreaming } from '../pipelines/cells/tokenize-stream.js';
import { writeNpy } from '../io/npy.js';
import { readOrthologs } from '../pipelines/cells/orthologs.js';
import { encodeCells, fitGeneMedians } from '../pipelines/cells/rank-encoding.js';
import {
  corpusNames,
  readTokenizedCorpus,
  readVocabulary,
  writeTokenizedCorpus,
  writeVocabulary,
} from '../pipelines/cells/corpus-files.js';
import { Vocabulary, type Species } from '../pipelines/cells/vocabulary.js';
import { renderCellsReport } from '../report/cells.js';
import { simulateCellCorpus, simulatedOrthologTable } from '../sim/cells.js';
import { createProgress, type Progress } from './progress.js';

/** `column=value` → the indices of the cells matching it. */
function where(obs: Record<string, (string | number)[]>, expr: string, what: string): number[] {
  const [column, value] = expr.split('=');
  if (!column || value === undefined)
    throw new UsageError(`${what}: expected column=value, got '${expr}'`);
  const col = obs[column];
  if (!col)
    throw new UsageError(
      `${what}: no cell annotation '${column}'; have ${Object.keys(obs).join(', ')}`,
    );
  const idx = col.flatMap((v, i) => (String(v) === value ? [i] : []));
  if (idx.length === 0) throw new UsageError(`${what}: no cell has ${column} = ${value}`);
  return idx;
}

export function registerSimulateCells(simulate: Command): void {
  simulate
    .command('cells')
    .description(
      'human-like and mouse-like scRNA-seq corpora sharing cell types through orthologs (.h5ad) and their ortholog table',
    )
    .option('--cells <n>', 'cells per species', '400')
    .option('--seed <n>', 'random seed', '0')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (o: Record<string, string>) => {
      const cells = wholeNumber('cells', o.cells);
      const seed = Number(o.seed);
      for (const [species, offset] of [
        ['human', 1],
        ['mouse', 2],
      ] as const) {
        const m = simulateCellCorpus({
          species,
          cells,
          seed: seed * 10 + offset,
          programmeSeed: seed,
        });
        await writeH5ad(join(o.out, `${species}.h5ad`), m);
      }
      writeFileAtomic(join(o.out, 'orthologs.tsv'), simulatedOrthologTable());
      console.log(
        `written: ${join(o.out, 'human.h5ad')}, ${join(o.out, 'mouse.h5ad')}, ${join(o.out, 'orthologs.tsv')}`,
      );
    });
}

export function registerCellsCommands(program: Command): void {
  const cells = program
    .command('cells')
    .description('unified human + mouse single-cell encoder (Mix-Geneformer)');

  cells
    .command('tokenize')
    .description(
      'build the gene vocabulary and medians from the corpora, and rank-value encode every cell',
    )
    .argument(
      '<corpora...>',
      'name:species:path, e.g. hs:human:human.h5ad (h5ad, 10x mtx folder or .h5, dense csv/tsv)',
    )
    .requiredOption('--orthologs <file>', 'ortholog table with mouse_gene and human_gene columns')
    .option('--vocabulary <mode>', 'unified (orthologs share tokens) or separate', 'unified')
    .option('--max-length <n>', 'tokens per cell including <cls>', '2048')
    .option('--layer <name>', 'read this h5ad layer instead of X')
    .option(
      '--chunk-cells <n>',
      'stream .h5ad files in chunks of n cells (corpora larger than memory)',
    )
    .option(
      '--median-sample <fraction>',
      'with --chunk-cells: fit the gene medians on this seeded fraction of the cells',
      '1',
    )
    .requiredOption(
      '--out <dir>',
      'writes vocabulary.json and <name>.tokens.npy / <name>.cells.json',
    )
    .action(async (specs: string[], o: Record<string, string>) => {
      const sources = specs.map((spec) => {
        const [name, species, ...rest] = spec.split(':');
        if (!name || (species !== 'human' && species !== 'mouse') || rest.length === 0)
          throw new UsageError(`corpus '${spec}': expected name:human|mouse:path`);
        return { name, species: species as Species, path: rest.join(':') };
      });
      if (o.vocabulary !== 'unified' && o.vocabulary !== 'separate')
        throw new UsageError(`--vocabulary: expected unified or separate, got '${o.vocabulary}'`);
      const maxLength = wholeNumber('max-length', o.maxLength);
      const orthologs = readOrthologs(o.orthologs);
      console.error(
        `orthologs: ${orthologs.mouseToHuman.size} one-to-one pairs kept, ${orthologs.dropped.oneToMany} one-to-many and ${orthologs.dropped.manyToOne} many-to-one dropped`,
      );
      if (o.chunkCells) {
        // Streaming: .h5ad only, never the whole matrix in memory.
        const chunkCells = wholeNumber('chunk-cells', o.chunkCells);
        for (const s of sources)
          if (!s.path.endsWith('.h5ad'))
            throw new UsageError(`--chunk-cells streams .h5ad files only; ${s.path} is not one`);
        const infos = await Promise.all(sources.map((s) => h5adInfo(s.path)));
        const vocab = Vocabulary.build(
          sources.map((s, i) => ({ species: s.species, genes: infos[i].genes })),
          orthologs,
          o.vocabulary,
        );
        const sampleFraction = Number(o.medianSample ?? 1);
        const medians = await fitMediansStreaming(sources, vocab, { chunkCells, sampleFraction });
        writeVocabulary(o.out, vocab, medians);
        for (const s of sources) {
          const r = await tokenizeStreaming(s, vocab, medians, o.out, { chunkCells, maxLength });
          console.log(
            `${s.name}: ${r.cells} cells (streamed in chunks of ${chunkCells}), ${r.skippedGenes} expressed genes without a token skipped`,
          );
        }
        console.log(
          `vocabulary: ${vocab.size} tokens (${vocab.mode}); ${join(o.out, 'vocabulary.json')}`,
        );
        return;
      }
      const corpora = [];
      for (const s of sources)
        corpora.push({ ...s, matrix: await readCounts(s.path, { layer: o.layer }) });
      const vocab = Vocabulary.build(
        corpora.map((c) => ({
          species: c.species,
          genes: c.matrix.geneSymbols ?? c.matrix.geneIds,
        })),
        orthologs,
        o.vocabulary,
      );
      const medians = fitGeneMedians(corpora, vocab);
      writeVocabulary(o.out, vocab, medians);
      for (const c of corpora) {
        const enc = encodeCells(c.matrix, c.species, vocab, medians, { maxLength });
        await writeTokenizedCorpus(
          o.out,
          { name: c.name, species: c.species, cellIds: c.matrix.cellIds, obs: c.matrix.obs },
          enc,
        );
        const mean = enc.lengths.reduce((a, b) => a + b, 0) / enc.lengths.length;
        console.log(
          `${c.name}: ${c.matrix.nCells} cells, mean ${mean.toFixed(0)} tokens, ${enc.skippedGenes} expressed genes without a token skipped`,
        );
      }
      console.log(
        `vocabulary: ${vocab.size} tokens (${vocab.mode}); ${join(o.out, 'vocabulary.json')}`,
      );
    });

  cells
    .command('pretrain')
    .description(
      'pretrain the encoder (masked genes + SimCSE) on every tokenized corpus of a folder; resumes when re-run',
    )
    .argument('<tokens>', 'folder written by `cells tokenize`')
    .option('--preset <name>', 'paper | small | tiny', 'small')
    .option('--epochs <n>', 'epochs', '10')
    .option('--batch-size <n>', 'cells per batch', '16')
    .option('--lr <x>', 'peak learning rate (AdamW, warm-up + cosine)', '5e-4')
    .option('--simcse-weight <x>', 'weight of the SimCSE term', '1')
    .option(
      '--cross-species <weight>',
      'add the cross-species InfoNCE (τ 0.1) between each cell and its ortholog-only view, with this weight (paper: 0.5; unified vocabulary)',
      '0',
    )
    .option('--seed <n>', 'random seed', '0')
    .requiredOption('--out <dir>', 'checkpoints and encoder.safetensors')
    .action(async (dir: string, o: Record<string, string>) => {
      const { CELL_ENCODER_PRESETS } = await import('../models/cell-encoder.js');
      const { defaultPretrainConfig, pretrainEncoder } =
        await import('../pipelines/cells/pretrain.js');
      const { orthologView } = await import('../pipelines/cells/pretrain-loss.js');
      const preset = CELL_ENCODER_PRESETS[o.preset as 'small'];
      if (!preset)
        throw new UsageError(`--preset: expected paper, small or tiny, got '${o.preset}'`);
      const { vocab } = readVocabulary(dir);
      if (Number(o.crossSpecies) > 0 && vocab.mode !== 'unified')
        throw new UsageError(
          '--cross-species needs a unified vocabulary (cells tokenize --vocabulary unified)',
        );
      const parts = corpusNames(dir).map((n) => readTokenizedCorpus(dir, n).corpus);
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
      const config = {
        ...base,
        epochs: wholeNumber('epochs', o.epochs),
        batchSize: wholeNumber('batch-size', o.batchSize),
        lr: Number(o.lr),
        seed: Number(o.seed),
        loss: {
          ...base.loss,
          simcseWeight: Number(o.simcseWeight),
          ...(Number(o.crossSpecies) > 0
            ? {
                crossSpecies: {
                  swap: orthologView(vocab.sharedTokens()),
                  weight: Number(o.crossSpecies),
                  tau: 0.1,
                },
              }
            : {}),
        },
      };
      let bar: Progress | null = null;
      const { history } = pretrainEncoder({ tokens, maxLength: L }, config, o.out, {
        onStep: (p) => {
          bar ??= createProgress('pretrain', p.steps * config.epochs);
          bar.update(p.epoch * p.steps + p.step + 1, {
            epoch: p.epoch,
            loss: p.loss,
            'tokens/s': Math.round(p.tokensPerSecond),
          });
        },
      });
      (bar as Progress | null)?.stop();
      for (const h of history)
        console.log(
          `epoch ${h.epoch + 1}: MLM ${h.mlm.toFixed(3)}  SimCSE ${h.simcse.toFixed(3)}  (${h.seconds.toFixed(1)} s)`,
        );
      console.log(`encoder: ${join(o.out, 'encoder.safetensors')}`);
    });

  cells
    .command('embed')
    .description('cell embeddings of a tokenized corpus (.npy, cells × hidden)')
    .argument('<run>', 'folder written by `cells pretrain`')
    .argument('<tokens>', 'folder written by `cells tokenize`')
    .requiredOption('--corpus <name>', 'which tokenized corpus')
    .option('--pooling <p>', 'mean (over genes) or cls', 'mean')
    .requiredOption('--out <file>', '.npy output')
    .action(async (run: string, dir: string, o: Record<string, string>) => {
      const { loadEncoder } = await import('../pipelines/cells/pretrain.js');
      const { embedCells } = await import('../pipelines/cells/tasks.js');
      const model = loadEncoder(join(run, 'encoder.safetensors'));
      const { corpus } = readTokenizedCorpus(dir, o.corpus);
      const e = embedCells(model, corpus, o.pooling === 'cls' ? 'cls' : 'mean');
      await writeNpy(o.out, e, { shape: [e.length / model.config.hidden, model.config.hidden] });
      console.log(
        `${e.length / model.config.hidden} × ${model.config.hidden} embeddings: ${o.out}`,
      );
    });

  cells
    .command('classify')
    .description(
      'fine-tune a cell-type classifier on one corpus and test it on another (e.g. mouse → human), next to the same classifier trained from scratch; JSON + HTML report',
    )
    .argument('<run>', 'folder written by `cells pretrain`')
    .argument('<tokens>', 'folder written by `cells tokenize`')
    .requiredOption('--train <name>', 'training corpus')
    .requiredOption('--test <name>', 'test corpus')
    .option('--label <column>', 'cell annotation with the classes', 'cell_type')
    .option('--freeze', 'train only the head on a frozen encoder', false)
    .option('--epochs <n>', 'fine-tuning epochs (early stopping on validation macro-F1)', '20')
    .option('--no-scratch', 'skip the from-scratch baseline')
    .option('--seed <n>', 'random seed', '0')
    .requiredOption('--out <dir>', 'classification.json and report.html')
    .action(async (run: string, dir: string, o: Record<string, string | boolean>) => {
      const { loadEncoder } = await import('../pipelines/cells/pretrain.js');
      const { CellEncoder } = await import('../models/cell-encoder.js');
      const { manualSeed } = await import('../engine/index.js');
      const { embedCells, scoreClassifier, trainCellClassifier } =
        await import('../pipelines/cells/tasks.js');
      const train = readTokenizedCorpus(dir, String(o.train));
      const test = readTokenizedCorpus(dir, String(o.test));
      const label = String(o.label);
      const labelsOf = (c: typeof train) => {
        const col = c.cells.obs[label];
        if (!col)
          throw new UsageError(
            `--label: corpus ${c.cells.name} has no '${label}'; have ${Object.keys(c.cells.obs).join(', ')}`,
          );
        return col.map(String);
      };
      const options = {
        freezeEncoder: Boolean(o.freeze),
        epochs: wholeNumber('epochs', String(o.epochs)),
        seed: Number(o.seed),
      };
      const model = loadEncoder(join(run, 'encoder.safetensors'));
      const before = {
        values: new Float32Array([
          ...embedCells(model, train.corpus),
          ...embedCells(model, test.corpus),
        ]),
        hidden: model.config.hidden,
      };
      const rows = [];
      const pretrained = scoreClassifier(
        trainCellClassifier(model, train.corpus, labelsOf(train), options),
        test.corpus,
        labelsOf(test),
      );
      rows.push({
        model: 'pretrained encoder',
        accuracy: pretrained.accuracy,
        macroF1: pretrained.macroF1,
      });
      if (o.scratch !== false) {
        manualSeed(Number(o.seed));
        const scratch = new CellEncoder(model.config);
        const s = scoreClassifier(
          trainCellClassifier(scratch, train.corpus, labelsOf(train), {
            ...options,
            freezeEncoder: false,
          }),
          test.corpus,
          labelsOf(test),
        );
        rows.push({ model: 'from scratch', accuracy: s.accuracy, macroF1: s.macroF1 });
      }
      for (const r of rows)
        console.log(
          `${r.model.padEnd(20)} ${o.train} → ${o.test}: accuracy ${r.accuracy.toFixed(3)}  macro-F1 ${r.macroF1.toFixed(3)}`,
        );
      writeFileAtomic(
        join(String(o.out), 'classification.json'),
        JSON.stringify(
          { train: o.train, test: o.test, label, rows, confusion: pretrained.confusion },
          null,
          2,
        ),
      );
      const html = renderCellsReport({
        embeddings: {
          ...before,
          species: [
            ...train.cells.cellIds.map(() => train.cells.species),
            ...test.cells.cellIds.map(() => test.cells.species),
          ],
          cellType: [...labelsOf(train), ...labelsOf(test)],
        },
        classification: { rows, confusion: pretrained.confusion },
        seed: Number(o.seed),
      });
      writeFileAtomic(join(String(o.out), 'report.html'), html);
      console.log(
        `results: ${join(String(o.out), 'classification.json')}\nreport: ${join(String(o.out), 'report.html')}`,
      );
    });

  cells
    .command('perturb')
    .description(
      'in silico deletion or overexpression of genes in selected cells: embedding shift, and shift toward a goal state, ranked over genes',
    )
    .argument('<run>', 'folder written by `cells pretrain`')
    .argument('<tokens>', 'folder written by `cells tokenize`')
    .requiredOption('--corpus <name>', 'tokenized corpus')
    .requiredOption('--cells <column=value>', 'which cells to perturb, e.g. cell_type=Pvalb')
    .option('--mode <m>', 'delete | overexpress', 'delete')
    .option(
      '--genes <list>',
      'comma-separated genes (default: the 50 most often expressed in the selected cells)',
    )
    .option('--goal <column=value>', 'goal state: mean embedding of these cells')
    .requiredOption('--out <dir>', 'perturbation.json and report.html')
    .action(async (run: string, dir: string, o: Record<string, string>) => {
      if (o.mode !== 'delete' && o.mode !== 'overexpress')
        throw new UsageError(`--mode: expected delete or overexpress, got '${o.mode}'`);
      const { loadEncoder } = await import('../pipelines/cells/pretrain.js');
      const { embedCells, meanEmbedding, perturbationEffects } =
        await import('../pipelines/cells/tasks.js');
      const model = loadEncoder(join(run, 'encoder.safetensors'));
      const { vocab } = readVocabulary(dir);
      const { corpus, cells } = readTokenizedCorpus(dir, o.corpus);
      const L = corpus.maxLength;
      const chosen = where(cells.obs, o.cells, '--cells');
      const subset = { tokens: new Int32Array(chosen.length * L), maxLength: L };
      chosen.forEach((i, k) =>
        subset.tokens.set(corpus.tokens.subarray(i * L, (i + 1) * L), k * L),
      );
      let tokens: number[];
      if (o.genes) {
        tokens = o.genes.split(',').map((g) => {
          const t = vocab.tokenOf(cells.species, g.trim());
          if (t === undefined)
            throw new UsageError(`--genes: '${g}' is not in the vocabulary for ${cells.species}`);
          return t;
        });
      } else {
        const counts = new Map<number, number>();
        for (const t of subset.tokens) if (t > 3) counts.set(t, (counts.get(t) ?? 0) + 1);
        tokens = [...counts]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 50)
          .map(([t]) => t);
      }
      let goal: Float32Array | null = null;
      if (o.goal) {
        const all = embedCells(model, corpus);
        goal = meanEmbedding(all, model.config.hidden, where(cells.obs, o.goal, '--goal'));
      }
      const effects = perturbationEffects(model, subset, tokens, o.mode, goal)
        .map((e) => ({
          gene: vocab.nameOf(e.token),
          cells: e.cells,
          shift: e.shift,
          towardGoal: e.towardGoal,
        }))
        .sort((a, b) => (goal ? (b.towardGoal ?? 0) - (a.towardGoal ?? 0) : b.shift - a.shift));
      for (const e of effects.slice(0, 10))
        console.log(
          `${e.gene.padEnd(20)} cells ${String(e.cells).padStart(5)}  shift ${e.shift.toExponential(2)}${e.towardGoal === null ? '' : `  toward goal ${e.towardGoal.toExponential(2)}`}`,
        );
      writeFileAtomic(
        join(o.out, 'perturbation.json'),
        JSON.stringify({ mode: o.mode, cells: o.cells, goal: o.goal ?? null, effects }, null, 2),
      );
      const emb = embedCells(model, subset);
      writeFileAtomic(
        join(o.out, 'report.html'),
        renderCellsReport({
          embeddings: {
            values: emb,
            hidden: model.config.hidden,
            species: chosen.map(() => cells.species),
            cellType: chosen.map((i) => String(cells.obs[o.cells.split('=')[0]][i])),
          },
          perturbation: { mode: o.mode, rows: effects },
          seed: 0,
        }),
      );
      console.log(
        `results: ${join(o.out, 'perturbation.json')}\nreport: ${join(o.out, 'report.html')}`,
      );
    });
}
