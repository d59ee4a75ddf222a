/** `neurobridge ephys fit|evaluate|transfer` and `neurobridge simulate ephys`. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { UsageError } from '../core/errors.js';
import { wholeNumber } from './options.js';
import { readCohortSpec } from '../pipelines/ephys/cohort-spec.js';
import { crossValidate, type CvResult } from '../pipelines/ephys/evaluation.js';
import {
  fitForestPipeline,
  forestInputs,
  predictForestPipeline,
  type ForestPipeline,
} from '../pipelines/ephys/forest.js';
import { loadCohort, type LoadedCohort } from '../pipelines/ephys/load.js';
import {
  renderEphysEvaluation,
  renderSpeciesTransfer,
  type EphysEvaluation,
} from '../report/ephys.js';
import { simulateEphysCohort, writeEphysCohort, type EphysSpecies } from '../sim/ephys.js';
import { accuracy, confusionMatrix, macroF1 } from '../stats/index.js';

const MODELS = ['rf', 'bilstm', 'bilstm-no-attention'] as const;
type ModelName = (typeof MODELS)[number];

function describe(l: LoadedCohort): EphysEvaluation['cohort'] {
  const classes: Record<string, number> = {};
  for (const c of l.cohort.labels) classes[c] = (classes[c] ?? 0) + 1;
  console.error(
    `${l.spec.species}: ${l.cohort.ids.length} cells after QC (${l.qc.droppedCells} dropped for missing values, ${l.qc.droppedFeatures.length} features dropped, ${l.unlabeled} without a label), classes ${JSON.stringify(classes)}`,
  );
  return {
    species: l.spec.species,
    cells: l.cohort.ids.length,
    classes,
    families: l.cohort.families.map((f) => ({ name: f.name, features: f.features.length })),
  };
}

export function registerEphysCommands(program: Command): void {
  const ephys = program
    .command('ephys')
    .description('electrophysiology → transcriptomic subclass, mouse → human transfer');

  ephys
    .command('evaluate')
    .description(
      'cross-validated macro-F1 of the sPCA + random forest pipeline and the attention BiLSTM on one cohort; JSON and HTML report',
    )
    .argument('<cohort>', 'cohort file (YAML/JSON: features, labels, columns; see README)')
    .option('--models <list>', `comma-separated: ${MODELS.join(', ')}`, 'rf,bilstm')
    .option('--folds <k>', 'stratified folds', '5')
    .option('--repeats <n>', 'repeats of the k folds', '1')
    .option('--trees <n>', 'random-forest trees', '500')
    .option('--seed <n>', 'random seed', '0')
    .option(
      '--model <file>',
      'instead of cross-validating, score a model saved by `ephys fit` on this cohort',
    )
    .requiredOption('--out <dir>', 'writes evaluation.json and report.html here')
    .action(async (cohortFile: string, o: Record<string, string>) => {
      const loaded = await loadCohort(readCohortSpec(cohortFile));
      const cohort = describe(loaded);
      if (o.model) return scoreSavedModel(o.model, loaded, o.out);
      const models = o.models.split(',') as ModelName[];
      for (const m of models)
        if (!MODELS.includes(m)) throw new UsageError(`--models: unknown model '${m}'`);
      const folds = wholeNumber('folds', o.folds);
      const repeats = wholeNumber('repeats', o.repeats);
      const trees = wholeNumber('trees', o.trees);
      const seed = Number(o.seed);
      const results: EphysEvaluation['models'] = {};
      for (const m of models) {
        const onFold = (done: number, total: number) =>
          console.error(`${m}: fold ${done}/${total}`);
        if (m === 'rf') {
          results[m] = crossValidate(
            loaded.cohort,
            (train, test, s) =>
              predictForestPipeline(fitForestPipeline(train, { seed: s, trees }), test),
            { folds, repeats, seed, onFold },
          );
        } else {
          // Loaded only here: the forest needs no libtorch.
          const { fitPredictBiLstm } = await import('../pipelines/ephys/bilstm-classifier.js');
          const attention: Record<string, number[][]> = {};
          const cv: CvResult = crossValidate(
            loaded.cohort,
            (train, test, s) => {
              const r = fitPredictBiLstm(train, test, s, { attention: m === 'bilstm' });
              for (const [c, w] of Object.entries(r.attentionByClass))
                (attention[c] ??= []).push(w);
              return r.predicted;
            },
            { folds, repeats, seed, onFold },
          );
          results[m] =
            m === 'bilstm'
              ? {
                  ...cv,
                  attentionByClass: Object.fromEntries(
                    Object.entries(attention).map(([c, ws]) => [
                      c,
                      ws[0].map((_, f) => ws.reduce((s, w) => s + w[f], 0) / ws.length),
                    ]),
                  ),
                }
              : cv;
        }
        console.log(
          `${m.padEnd(20)} macro-F1 ${results[m].macroF1.mean.toFixed(3)} ± ${results[m].macroF1.sd.toFixed(3)}  accuracy ${results[m].accuracy.mean.toFixed(3)}`,
        );
      }
      const all = fitForestPipeline(loaded.cohort, { seed, trees: 50 });
      const inputs = forestInputs(all, loaded.cohort);
      const evaluation: EphysEvaluation = {
        cohort,
        qc: loaded.qc,
        folds,
        repeats,
        models: results,
        spcaScatter: {
          x: inputs.map((r) => r[0] ?? 0),
          y: inputs.map((r) => r[1] ?? 0),
          labels: loaded.cohort.labels,
        },
      };
      writeFileAtomic(join(o.out, 'evaluation.json'), JSON.stringify(evaluation, null, 2));
      writeFileAtomic(join(o.out, 'report.html'), renderEphysEvaluation(evaluation));
      console.log(
        `results: ${join(o.out, 'evaluation.json')}\nreport: ${join(o.out, 'report.html')}`,
      );
    });

  ephys
    .command('fit')
    .description(
      'fit the sPCA + class-balanced random forest pipeline on every cell of a cohort and save it as JSON',
    )
    .argument('<cohort>', 'cohort file (YAML/JSON)')
    .option('--trees <n>', 'random-forest trees', '500')
    .option('--seed <n>', 'random seed', '0')
    .requiredOption('--out <file>', 'model JSON (standardizer, sparse-PCA loadings, forest)')
    .action(async (cohortFile: string, o: Record<string, string>) => {
      const loaded = await loadCohort(readCohortSpec(cohortFile));
      describe(loaded);
      const pipeline = fitForestPipeline(loaded.cohort, {
        trees: wholeNumber('trees', o.trees),
        seed: Number(o.seed),
      });
      const families = loaded.cohort.families.map((f) => ({ name: f.name, features: f.features }));
      writeFileAtomic(
        o.out,
        JSON.stringify({ kind: 'neurobridge-ephys-forest', families, pipeline }),
      );
      const kept = pipeline.families.map((f) => `${f.name} ${f.keep.length}`).join(', ');
      console.log(`sparse-PCA components kept per family: ${kept}\nmodel: ${o.out}`);
    });

  ephys
    .command('transfer')
    .description(
      'mouse → human transfer of the attention BiLSTM: human-only vs pretrain + fine-tune vs joint training, cross-validated on human cells',
    )
    .argument('<mouse-cohort>', 'mouse cohort file')
    .argument('<human-cohort>', 'human cohort file (same families after QC, classes aligned)')
    .option('--folds <k>', 'stratified folds over human cells', '5')
    .option('--repeats <n>', 'repeats', '1')
    .option('--hidden <n>', 'BiLSTM hidden units per direction (paper: 128)', '128')
    .option('--seed <n>', 'random seed', '0')
    .requiredOption('--out <dir>', 'writes transfer.json and report.html here')
    .action(async (mouseFile: string, humanFile: string, o: Record<string, string>) => {
      const mouse = await loadCohort(readCohortSpec(mouseFile));
      const human = await loadCohort(readCohortSpec(humanFile));
      describe(mouse);
      describe(human);
      const { runSpeciesTransfer } = await import('../pipelines/ephys/transfer-study.js');
      const result = runSpeciesTransfer(mouse.cohort, human.cohort, {
        folds: wholeNumber('folds', o.folds),
        repeats: wholeNumber('repeats', o.repeats),
        hidden: wholeNumber('hidden', o.hidden),
        seed: Number(o.seed),
        onFold: (done, total) => console.error(`training ${done}/${total}`),
      });
      for (const [s, r] of Object.entries(result.strategies))
        console.log(
          `${s.padEnd(18)} human macro-F1 ${r.macroF1.mean.toFixed(3)} ± ${r.macroF1.sd.toFixed(3)}${result.versusHumanOnly[s as 'joint'] ? `  p vs human-only ${result.versusHumanOnly[s as 'joint']!.p.toExponential(2)}` : ''}`,
        );
      writeFileAtomic(join(o.out, 'transfer.json'), JSON.stringify(result, null, 2));
      writeFileAtomic(join(o.out, 'report.html'), renderSpeciesTransfer(result));
      console.log(
        `results: ${join(o.out, 'transfer.json')}\nreport: ${join(o.out, 'report.html')}`,
      );
    });
}

function scoreSavedModel(file: string, loaded: LoadedCohort, out: string): void {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as {
    kind?: string;
    families: { name: string; features: string[] }[];
    pipeline: ForestPipeline;
  };
  if (saved.kind !== 'neurobridge-ephys-forest')
    throw new UsageError(`${file}: not a model written by \`ephys fit\``);
  const have = loaded.cohort.families.map((f) => `${f.name}:${f.features.join('|')}`).join(',');
  const want = saved.families.map((f) => `${f.name}:${f.features.join('|')}`).join(',');
  if (have !== want)
    throw new UsageError(
      `${file}: the model was fitted on other families/features than this cohort has after QC`,
    );
  const predicted = predictForestPipeline(saved.pipeline, loaded.cohort);
  const truth = loaded.cohort.labels;
  const result = {
    macroF1: macroF1(truth, predicted),
    accuracy: accuracy(truth, predicted),
    confusion: confusionMatrix(truth, predicted),
  };
  writeFileAtomic(join(out, 'scores.json'), JSON.stringify(result, null, 2));
  console.log(
    `macro-F1 ${result.macroF1.toFixed(3)}  accuracy ${result.accuracy.toFixed(3)}\nresults: ${join(resolve(out), 'scores.json')}`,
  );
}

export function registerSimulateEphys(simulate: Command): void {
  simulate
    .command('ephys')
    .description(
      'a mouse-like and a human-like interneuron cohort (IPFX feature vectors + metadata) and their cohort files',
    )
    .option('--mouse-cells <n>', 'mouse cells', '800')
    .option('--human-cells <n>', 'human cells', '150')
    .option('--seed <n>', 'random seed', '0')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (o: Record<string, string>) => {
      for (const [species, cells, offset] of [
        ['mouse', wholeNumber('mouse-cells', o.mouseCells), 1],
        ['human', wholeNumber('human-cells', o.humanCells), 2],
      ] as [EphysSpecies, number, number][]) {
        const sim = simulateEphysCohort({ species, cells, seed: Number(o.seed) * 10 + offset });
        const files = await writeEphysCohort(o.out, sim);
        const spec = `species: ${species}\nfeatures: ${species}_fv.h5\nlabels: ${species}_metadata.csv\nid_column: specimen_id\nlabel_column: subclass_label\n`;
        writeFileAtomic(join(o.out, `${species}.yaml`), spec);
        console.log(
          `${species}: ${cells} cells → ${files.vectors}, ${files.metadata}, ${join(o.out, `${species}.yaml`)}`,
        );
      }
    });
}
