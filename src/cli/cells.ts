/**
 * `neurobridge cells tokenize|pretrain|embed|classify|perturb` and `neurobridge simulate
 * cells`: options parsed and checked here, the work in src/commands and pipelines/cells,
 * progress and results printed.
 */
import { Option, type Command } from 'commander';
import { join } from 'node:path';
import { CELL_ENCODER_PRESET_NAMES } from '../models/cell-encoder.js';
import {
  DEFAULT_CLASSIFIER,
  PERTURB_MODES,
  POOLINGS,
  VOCABULARY_VIEWS,
  type PerturbMode,
} from '../pipelines/cells/tasks/tasks.js';
import {
  parseCorpusSpec,
  tokenizeCorpora,
  type TokenizeOptions,
} from '../pipelines/cells/corpus/tokenize.js';
import {
  COST_ESTIMATE_FILE,
  PRESET_TRAINING,
  type PretrainCorporaOptions,
} from '../pipelines/cells/pretrain/pretrain-corpora.js';
import type { ClassificationRow, ClassifyOptions } from '../commands/cells-classify.js';
import type { EmbedOptions } from '../commands/cells-embed.js';
import { simulateCells } from '../commands/simulate.js';
import { VOCABULARY_MODES } from '../pipelines/cells/corpus/vocabulary.js';
import { EMBEDDING_INITS } from '../pipelines/cells/pretrain/spectral-init.js';
import { LINEAR_FEATURES } from '../pipelines/cells/tasks/linear-baseline.js';
import { KEPT_WEIGHTS } from '../models/classifier-fit.js';
import type { CellClassifier } from '../pipelines/cells/tasks/tasks.js';
import {
  choice,
  commaList,
  deviceOption,
  integer,
  keyValues,
  outFolder,
  real,
  repeatable,
  seed,
  seedList,
} from './options.js';
import { UsageError } from '../core/errors.js';
import { formatMeanSd } from '../pipelines/cells/tasks/seed-summary.js';
import { DEFAULT_MARKER_DELETION } from '../pipelines/cells/tasks/perturb-null.js';
import { setDefaultDevice } from '../engine/runtime.js';
import { createProgress, type Progress } from './progress.js';

const EPOCHS = integer(1, 100_000);

export function registerSimulateCells(simulate: Command): void {
  simulate
    .command('cells')
    .description(
      'human-like and mouse-like scRNA-seq corpora sharing cell types through orthologs (.h5ad) and their ortholog table',
    )
    .option('--cells <n>', 'cells per species', integer(1, 1_000_000), 400)
    .option('--seed <n>', 'random seed', seed, 0)
    .requiredOption('--out <dir>', 'output folder', outFolder)
    .action(async (o: { cells: number; seed: number; out: string }) => {
      const files = await simulateCells(o);
      console.log(`written: ${files.join(', ')}`);
    });
}

export function registerCellsCommands(program: Command): void {
  const cells = program
    .command('cells')
    .description('unified human + mouse single-cell encoder (Mix-Geneformer)');
  registerTokenize(cells);
  registerPretrain(cells);
  registerEmbed(cells);
  registerClassify(cells);
  registerPerturb(cells);
}

function registerTokenize(cells: Command): void {
  cells
    .command('tokenize')
    .description(
      'build the gene vocabulary and medians from the corpora, and rank-value encode every cell (written all or nothing)',
    )
    .argument(
      '<corpora...>',
      'name:species:path, e.g. hs:human:human.h5ad (h5ad, 10x mtx folder or .h5, dense csv/tsv); names: letters, digits, _ . -',
    )
    .option('--orthologs <file>', 'ortholog table with mouse_gene and human_gene columns')
    .option(
      '--sum-paralogs',
      "with --orthologs: a paralog family whose genes all have the same single partner in the other species (mouse Ins1 and Ins2, both orthologous to human INS only) shares that partner's token, with the family's counts summed per cell, instead of being dropped as one-to-many",
      false,
    )
    .option(
      '--vocabulary-from <dir>',
      'encode with the vocabulary and gene medians of an earlier `cells tokenize` folder (new cells for an encoder pretrained on it), instead of --orthologs',
    )
    .addOption(
      choice(
        '--vocabulary <mode>',
        'unified (orthologs share tokens) or separate',
        VOCABULARY_MODES,
        'unified',
      ),
    )
    .option(
      '--max-length <n>',
      'tokens per cell including <cls>',
      integer(2, 65_536, 'no genome has more genes; the tokens take cells × n × 4 bytes'),
      2048,
    )
    .option('--layer <name>', 'read this h5ad layer instead of X')
    .option('--raw', 'read the h5ad raw/X and raw/var (scanpy keeps the counts there)', false)
    .option(
      '--chunk-cells <n>',
      'stream .h5ad files in chunks of n cells (corpora larger than memory)',
      integer(1, 10_000_000),
    )
    .option(
      '--median-sample <fraction>',
      'with --chunk-cells: fit the gene medians on this seeded fraction of the cells (default: 1)',
      real(0, 1, { minExclusive: true }),
    )
    .option(
      '--cell-table <name=file>',
      "cell annotations of corpus NAME: CSV/TSV whose first column holds the matrix's cell ids (repeatable)",
      keyValues('--cell-table', 2, 'NAME=FILE'),
    )
    .option(
      '--select <name=column=value>',
      'keep only the cells of corpus NAME whose annotation COLUMN is VALUE, e.g. hs=species=human (repeatable)',
      keyValues('--select', 3, 'NAME=COLUMN=VALUE'),
    )
    .option(
      '--unmangle-r-names',
      "undo R's renaming of gene names (X0610007P14Rik → 0610007P14Rik, H2.Aa → H2-Aa)",
      false,
    )
    .option(
      '--restore-mouse-case <names>',
      "mouse corpora whose gene symbols were upper-cased (INS1 for Ins1), comma-separated: each symbol equal, ignoring case, to exactly one mouse symbol of the ortholog table (or of --vocabulary-from's vocabulary) takes its case",
      commaList,
    )
    .requiredOption(
      '--out <dir>',
      'writes vocabulary.json and <name>.tokens.npy / <name>.cells.json',
      outFolder,
    )
    .action(
      async (
        specs: string[],
        {
          cellTable,
          select,
          ...o
        }: Omit<TokenizeOptions, 'sources' | 'cellTables' | 'select'> & {
          cellTable?: string[][];
          select?: string[][];
        },
      ) => {
        const sources = specs.map(parseCorpusSpec);
        const bothSpecies = new Set(sources.map((x) => x.species)).size > 1;
        const r = await tokenizeCorpora(
          {
            ...o,
            sources,
            cellTables: Object.fromEntries(cellTable ?? []),
            select: (select ?? []).map(([corpus, column, value]) => ({ corpus, column, value })),
          },
          (line) => console.error(line),
        );
        for (const c of r.corpora)
          console.log(
            o.chunkCells !== undefined
              ? `${c.name}: ${c.cells} cells (streamed in chunks of ${o.chunkCells}), ${c.skippedGenes} expressed genes without a token skipped`
              : `${c.name}: ${c.cells} cells, mean ${(c.meanTokens ?? 0).toFixed(0)} tokens; of its ${c.genes?.expressed} expressed genes ${c.genes?.withToken} have a token` +
                  (bothSpecies
                    ? ` and ${c.genes?.shared} a token shared with the other species`
                    : ''),
          );
        console.log(
          `vocabulary: ${r.vocabulary.size} tokens (${r.vocabulary.mode}); ${r.vocabulary.file}`,
        );
      },
    );
}

function registerPretrain(cells: Command): void {
  cells
    .command('pretrain')
    .description(
      'pretrain the encoder (masked genes + SimCSE) on every tokenized corpus of a folder; resumes when re-run',
    )
    .argument('<tokens>', 'folder written by `cells tokenize`')
    .addOption(
      choice(
        '--preset <name>',
        CELL_ENCODER_PRESET_NAMES.join(' | '),
        CELL_ENCODER_PRESET_NAMES,
        'small',
      ),
    )
    .option('--epochs <n>', `epochs (default: the preset's, ${presetDefaults('epochs')})`, EPOCHS)
    .option(
      '--batch-size <n>',
      `cells per batch (default: the preset's, ${presetDefaults('batchSize')})`,
      integer(1, 65_536),
    )
    .option(
      '--lr <x>',
      `peak learning rate (AdamW, warm-up + cosine; default: the preset's, ${presetDefaults('lr')})`,
      real(0, 10, { minExclusive: true }),
    )
    .option('--simcse-weight <x>', 'weight of the SimCSE term', real(0, 1000), 1)
    .option(
      '--cross-species <weight>',
      'add the cross-species InfoNCE (τ 0.1) between each cell and its ortholog-only view, with this weight (paper: 0.5; unified vocabulary)',
      real(0, 1000),
      0,
    )
    .addOption(
      choice(
        '--embedding-init <how>',
        "gene embeddings to start from: spectral (principal axes of the corpora's token incidence; learns on small corpora) or random",
        EMBEDDING_INITS,
        'spectral',
      ),
    )
    .option('--seed <n>', 'random seed', seed, 0)
    .requiredOption('--out <dir>', 'checkpoints and encoder.safetensors', outFolder)
    .addOption(deviceOption())
    .action(
      async (
        dir: string,
        { device, ...o }: Omit<PretrainCorporaOptions, 'tokens'> & { device: string },
      ) => {
        setDefaultDevice(device);
        const { pretrainCorpora } = await import('../pipelines/cells/pretrain/pretrain-corpora.js');
        let bar: Progress | null = null;
        const { history, estimate } = pretrainCorpora({ ...o, tokens: dir }, (p, config) => {
          bar ??= createProgress('pretrain', p.steps * config.epochs);
          bar.update(p.epoch * p.steps + p.step + 1, {
            epoch: `${p.epoch + 1}/${config.epochs}`,
            loss: p.loss,
            'tokens/s': Math.round(p.tokensPerSecond),
          });
        });
        (bar as Progress | null)?.stop();
        for (const h of history)
          console.log(
            `epoch ${h.epoch + 1}: MLM ${h.mlm.toFixed(3)}  SimCSE ${h.simcse.toFixed(3)}  (${h.seconds.toFixed(1)} s${h.tokens ? `, ${Math.round(h.tokens / h.seconds)} tokens/s` : ''})`,
          );
        if (estimate)
          console.log(
            `full-size estimate: preset paper, ${estimate.target.cells / 1e6} M cells × ${estimate.target.tokensPerCell} tokens, ${estimate.target.epochs} epoch: ` +
              `${estimate.hours.toFixed(0)} h (${(estimate.hours / 24).toFixed(0)} days) on this machine ` +
              `(${Math.round(estimate.measured.tokensPerSecond)} tokens/s measured here ÷ ${estimate.costRatio.toFixed(1)}, the ratio of multiply-accumulates per token; ${join(o.out, COST_ESTIMATE_FILE)})`,
          );
        console.log(`encoder: ${join(o.out, 'encoder.safetensors')}`);
      },
    );
}

function registerEmbed(cells: Command): void {
  cells
    .command('embed')
    .description('cell embeddings of a tokenized corpus (.npy, cells × hidden)')
    .argument('<run>', 'folder written by `cells pretrain`')
    .argument('<tokens>', 'folder written by `cells tokenize`')
    .requiredOption('--corpus <name>', 'which tokenized corpus')
    .addOption(choice('--pooling <p>', 'mean (over genes) or cls', POOLINGS, 'mean'))
    .requiredOption('--out <file>', '.npy output')
    .action(async (run: string, tokens: string, o: Omit<EmbedOptions, 'run' | 'tokens'>) => {
      const { embedCorpus } = await import('../commands/cells-embed.js');
      const r = await embedCorpus({ ...o, run, tokens });
      console.log(`${r.cells} × ${r.hidden} embeddings: ${o.out}`);
    });
}

function registerClassify(cells: Command): void {
  cells
    .command('classify')
    .description(
      'fine-tune a cell-type classifier on one corpus and test it on another (e.g. mouse → human), next to the same classifier trained from scratch; JSON + HTML report',
    )
    .argument('<run>', 'folder written by `cells pretrain`')
    .argument('<tokens>', 'folder written by `cells tokenize`')
    .requiredOption(
      '--train <names>',
      'training corpus; several of one species joined by commas (e.g. mm,mm2: two donors) train as one',
    )
    .requiredOption(
      '--test <name>',
      'test corpus (the training corpus itself: a held-out part of it)',
    )
    .option('--label <column>', 'cell annotation with the classes', 'cell_type')
    .option('--freeze', 'train only the head on a frozen encoder', false)
    .option(
      '--epochs <n>',
      'fine-tuning epochs (early stopping on validation macro-F1)',
      EPOCHS,
      20,
    )
    .option('--no-scratch', 'skip the from-scratch baseline')
    .option(
      '--no-linear',
      'skip the linear baseline (logistic regression on log1p CP10k of the shared genes)',
    )
    .addOption(
      choice(
        '--linear-features <f>',
        "what the linear baseline reads: log-cp10k (log1p counts per 10,000) or rank-value (each gene's position in the tokens the encoder classifiers see)",
        LINEAR_FEATURES,
        'log-cp10k',
      ),
    )
    .option(
      '--only-test-classes',
      'train on the cells of the classes the test corpus has only',
      false,
    )
    .option(
      '--test-fraction <f>',
      'with --test equal to --train: the stratified fraction of its cells held out for testing (default 0.2)',
      real(0, 1, { minExclusive: true, maxExclusive: true }),
    )
    .option(
      '--lr <x>',
      `fine-tuning learning rate (AdamW; default ${DEFAULT_CLASSIFIER.lr})`,
      real(0, 10, { minExclusive: true }),
    )
    .option(
      '--encoder-lr-scale <x>',
      `the encoder's learning rate as a multiple of the head's --lr (default ${DEFAULT_CLASSIFIER.encoderLrScale}; e.g. 0.1 fine-tunes the pretrained encoder ten times more slowly)`,
      real(0, 1),
    )
    .addOption(
      choice(
        '--keep-weights <w>',
        "which fine-tuned weights classify: best-epoch (the best validation epoch's) or epoch-average (the mean of the weights after every epoch but the first: stochastic weight averaging, less dependent on which epoch the source's validation split picks)",
        KEPT_WEIGHTS,
        DEFAULT_CLASSIFIER.keep,
      ),
    )
    .option(
      '--refit',
      'after early stopping has chosen the epochs on the validation fifth, fine-tune again from the pretrained weights on all the training cells for that many epochs (with the same --keep-weights rule); those weights classify. Every seed then learns from every cell of a rare class; twice the fine-tuning time',
      false,
    )
    .addOption(
      choice(
        '--pooling <p>',
        'cell embedding the head reads: mean (over genes) or cls',
        POOLINGS,
        DEFAULT_CLASSIFIER.pooling,
      ),
    )
    .addOption(
      choice(
        '--vocabulary-view <view>',
        "tokens the encoder classifiers see: shared (<cls> and the tokens both species share), all, or expressed (<cls> and the tokens with a count in some training and some test cell: the linear baseline's genes); default shared when --train and --test are of different species, else all",
        VOCABULARY_VIEWS,
      ),
    )
    .option(
      '--balance-corpora',
      'with several --train corpora (e.g. two donors): within each class give every corpus the same total weight, in the fine-tuning loss (on top of the balanced class weights) and in the linear baseline, so a class one corpus over-represents cannot be learnt from traits of that corpus (its matrix, depth or gene list)',
      false,
    )
    .option(
      '--seed <n>',
      'fine-tuning seed (one corpus: also of its held-out split; default 0)',
      seed,
    )
    .option(
      '--seeds <list>',
      'several fine-tuning seeds, e.g. 0,1,2,3,4: one fine-tuning per seed, mean ± sd per model (the linear baseline is fitted once unless the split depends on the seed)',
      seedList,
    )
    .option(
      '--ensemble-runs <dirs>',
      'further cells pretrain folders, comma-separated (e.g. other pretraining seeds): each is fine-tuned as <run> is (same seed and cells) and the pretrained-encoder row classifies with the mean of all their class probabilities; each member alone is reported too',
      commaList,
    )
    .option(
      '--save-encoder <dir>',
      'also write the fine-tuned encoder there, as cells pretrain writes one (encoder.safetensors, with fine-tuning.json): cells perturb and cells embed run on it. One --seed; not with --freeze',
      outFolder,
    )
    .requiredOption('--out <dir>', 'classification.json and report.html', outFolder)
    .addOption(deviceOption())
    .action(runClassify);
}

/** The action of `cells classify`: one line per model and seed, then mean ± sd over seeds. */
async function runClassify(
  run: string,
  dir: string,
  {
    device,
    seed: one,
    seeds,
    ...o
  }: Omit<ClassifyOptions, 'run' | 'tokens' | 'seed'> & { device: string; seed?: number },
): Promise<void> {
  if (one !== undefined && seeds !== undefined)
    throw new UsageError('give --seed or --seeds, not both');
  setDefaultDevice(device);
  const { classifyCells } = await import('../commands/cells-classify.js');
  const split = o.test === o.train ? `${o.train} (held-out cells)` : `${o.train} → ${o.test}`;
  const several = (seeds?.length ?? 1) > 1;
  const r = classifyCells({
    ...o,
    seed: one ?? 0,
    ...(seeds ? { seeds } : {}),
    run,
    tokens: dir,
    onSeed: (s) => {
      for (const row of s.rows)
        console.log(
          `${several ? `seed ${s.seed}  ` : ''}${classificationLine(row, split, o.train)}`,
        );
    },
  });
  console.log(`vocabulary view: ${r.vocabularyView}`);
  if (several)
    for (const m of r.summary)
      console.log(
        `${m.model.padEnd(34)} ${split}, ${m.seeds} seeds (${m.fits} fit${m.fits > 1 ? 's' : ''}): accuracy ${formatMeanSd(m.accuracy)}  macro-F1 ${formatMeanSd(m.macroF1)} (mean ± sd)`,
      );
  console.log(`results: ${r.files.results}\nreport: ${r.files.report}`);
}

/** One model's scores on one seed, as `cells classify` prints them. */
function classificationLine(row: ClassificationRow, split: string, train: string): string {
  return (
    `${row.model.padEnd(34)} ${split}: accuracy ${row.accuracy.toFixed(3)}  macro-F1 ${row.macroF1.toFixed(3)}` +
    (row.validation ? `  (${validationNote(row.validation, train)})` : '') +
    (row.ensemble
      ? `; ensemble of ${row.ensemble.length} runs, each alone: ${row.ensemble.map((m) => m.macroF1.toFixed(3)).join(', ')}`
      : '')
  );
}

/** What early stopping kept, as the classify lines print it. */
function validationNote(v: CellClassifier['validation'], train: string): string {
  const where =
    v.averagedEpochs === undefined
      ? `at epoch ${v.epoch + 1}`
      : `of the mean over ${v.averagedEpochs} epochs`;
  const refit =
    v.refitEpochs === undefined
      ? ''
      : `; then refitted on all cells of ${train} for ${v.refitEpochs} epochs`;
  return `validation macro-F1 ${v.macroF1.toFixed(3)} ${where}, ${v.cells} cells of ${train}${refit}`;
}

function registerPerturb(cells: Command): void {
  cells
    .command('perturb')
    .description(
      'in silico deletion or overexpression of genes in selected cells: embedding shift, and shift toward a goal state, ranked over genes',
    )
    .argument('<run>', 'folder written by `cells pretrain`')
    .argument('<tokens>', 'folder written by `cells tokenize`')
    .requiredOption('--corpus <name>', 'tokenized corpus')
    .requiredOption('--cells <column=value>', 'which cells to perturb, e.g. cell_type=Pvalb')
    .addOption(choice('--mode <m>', PERTURB_MODES.join(' | '), PERTURB_MODES, 'delete'))
    .addOption(
      new Option(
        '--genes <list>',
        'comma-separated genes (default: the 50 most often expressed in the selected cells)',
      ).argParser(commaList),
    )
    .option('--together', 'perturb the genes of --genes together, as one perturbation', false)
    .option(
      '--goal <column=value>',
      'goal state: mean embedding of these cells; column=* for one goal per value of the column (repeatable)',
      repeatable,
    )
    .addOption(
      choice(
        '--null <kind>',
        'with --genes and --together (delete): permutation test against random gene sets of the same size, each gene matched to one of --genes on expression frequency and mean position in the selected cells',
        ['matched'] as const,
      ),
    )
    .option(
      '--permutations <n>',
      `random sets drawn for --null (default ${DEFAULT_MARKER_DELETION.permutations})`,
      integer(1, 1_000_000),
    )
    .option(
      '--null-pool <n>',
      `--null: genes each marker's match is drawn from, the nearest in frequency and position rank (default ${DEFAULT_MARKER_DELETION.poolSize})`,
      integer(1, 1_000_000),
    )
    .option(
      '--null-cells <n>',
      `--null: test at most n of the selected cells, a seeded random subset (default ${DEFAULT_MARKER_DELETION.maxCells})`,
      integer(1, 10_000_000),
    )
    .option('--seed <n>', '--null: random seed of the sets and the cell subset (default 0)', seed)
    .requiredOption('--out <dir>', 'perturbation.json and report.html', outFolder)
    .action(
      async (
        run: string,
        dir: string,
        o: {
          corpus: string;
          cells: string;
          mode: PerturbMode;
          genes?: string[];
          together: boolean;
          goal?: string[];
          null?: 'matched';
          permutations?: number;
          nullPool?: number;
          nullCells?: number;
          seed?: number;
          out: string;
        },
      ) => {
        const { perturbCells } = await import('../commands/cells-perturb.js');
        const { goal, ...rest } = o;
        const r = perturbCells({ ...rest, goals: goal, run, tokens: dir });
        for (const e of r.effects.slice(0, 10))
          console.log(
            `${e.gene.padEnd(20)} cells ${String(e.cells).padStart(5)}  shift ${e.shift.toExponential(2)}` +
              Object.entries(e.towardGoals)
                .map(([g, d]) => `  Δcos ${g} ${d >= 0 ? '+' : ''}${d.toExponential(2)}`)
                .join(''),
          );
        const t = r.permutationTest;
        if (t)
          console.log(
            `permutation test (${t.genes.join('+')} deleted in ${t.cells} cells${t.absent.length ? `; not expressed: ${t.absent.join(', ')}` : ''}): ` +
              `away from own centroid ${t.observed.toExponential(3)}, null ${t.null.mean.toExponential(3)} ± ${t.null.sd.toExponential(3)} ` +
              `(${t.null.permutations} matched random sets), p = ${t.p.toFixed(4)}`,
          );
        console.log(`results: ${r.files.results}\nreport: ${r.files.report}`);
      },
    );
}

/** "paper 10, small 6, tiny 10" for one of the presets' training defaults. */
function presetDefaults(key: keyof (typeof PRESET_TRAINING)['small']): string {
  return CELL_ENCODER_PRESET_NAMES.map((p) => `${p} ${PRESET_TRAINING[p][key]}`).join(', ');
}
