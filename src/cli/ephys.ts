/**
 * `neurobridge ephys extract|fit|evaluate|transfer` and `neurobridge simulate ephys|icephys`:
 * options parsed and checked here, the work in src/commands, progress and results printed.
 */
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { readCohortSpec } from '../pipelines/ephys/cohort-spec.js';
import {
  EPHYS_MODELS,
  describeCohort,
  evaluateCohort,
  fitForestModel,
  scoreSavedForest,
  type EphysModelName,
} from '../commands/ephys-evaluate.js';
import {
  runEphysTransfer,
  type EphysTransferOptions,
  type SpeciesPair,
} from '../commands/ephys-transfer.js';
import { simulateEphysCohorts, simulateIcephys } from '../commands/simulate.js';
import { loadCohort, type JoinedCohort, type LoadedCohort } from '../pipelines/ephys/load.js';
import type { QcReport } from '../pipelines/ephys/qc.js';
import { classCounts } from '../pipelines/ephys/cohort.js';
import { STRATEGIES } from '../pipelines/ephys/strategy-names.js';
import type { IcephysProtocol } from '../sim/icephys.js';
import {
  deviceOption,
  integer,
  listOf,
  outFolder,
  seed,
  stimulusWindow,
  type StimulusWindow,
} from './options.js';
import { setDefaultDevice } from '../engine/runtime.js';
import { createProgress, type Progress } from './progress.js';

const FOLDS = integer(2, 1000);
const REPEATS = integer(1, 1000);
const TREES = integer(1, 100_000);

/** Where a cohort's cells went before and during QC, for its summary line. */
function cellNotes(l: JoinedCohort, qc: QcReport): string {
  const dropped = Object.entries(l.droppedClasses).map(([k, n]) => `${k} ${n}`);
  return [
    `${qc.droppedCells} dropped for missing values`,
    `${l.unlabeled} without a label`,
    ...(l.excludedCells ? [`${l.excludedCells} excluded by exclude_cells_where`] : []),
    ...(dropped.length ? [`dropped classes: ${dropped.join(', ')}`] : []),
  ].join(', ');
}

/** Loads a cohort and prints its summary line (stderr). */
async function load(file: string): Promise<LoadedCohort> {
  const l = await loadCohort(readCohortSpec(file));
  const d = describeCohort(l);
  console.error(
    `${d.species}: ${d.cells} cells after QC (${l.qc.droppedFeatures.length} features dropped, ${cellNotes(l, l.qc)}), classes ${JSON.stringify(d.classes)}`,
  );
  return l;
}

/** What a transfer uses of both cohorts (stderr): shared features, then each species' cells. */
function printSpeciesPair(pair: SpeciesPair): void {
  const f = pair.features;
  const used = f.families.reduce((n, g) => n + g.features.length, 0);
  console.error(
    `shared features: ${used + f.droppedForMissing.length} (not used: ${f.onlyMouse.length} mouse-only, ${f.onlyHuman.length} human-only${f.onlyHuman.length ? `: ${f.onlyHuman.join(', ')}` : ''}); ${f.droppedForMissing.length} dropped for missing values${f.droppedForMissing.length ? ` (${f.droppedForMissing.map((d) => d.feature).join(', ')})` : ''}; ${used} used in ${f.families.length} families`,
  );
  for (const [l, c, qc] of [
    [pair.joined.mouse, pair.mouse, pair.qc.mouse],
    [pair.joined.human, pair.human, pair.qc.human],
  ] as const) {
    console.error(
      `${c.species}: ${c.ids.length} cells after QC (${cellNotes(l, qc)}), classes ${JSON.stringify(classCounts(c.labels))}`,
    );
  }
}

export function registerEphysCommands(program: Command): void {
  const ephys = program
    .command('ephys')
    .description('electrophysiology → transcriptomic subclass, mouse → human transfer');
  registerExtract(ephys);
  registerEvaluate(ephys);
  registerFit(ephys);
  registerTransfer(ephys);
}

function registerExtract(ephys: Command): void {
  ephys
    .command('extract')
    .description(
      'IPFX-equivalent features from current-clamp NWB files (one cell per file): features.csv, sweeps.json, feature vectors (.h5) and report.html',
    )
    .argument(
      '<files...>',
      'NWB files with CurrentClampSeries (current icephys tables or the older sweep_table)',
    )
    .option(
      '--stimulus-window <start:end>',
      'stimulus epoch in seconds from sweep start, instead of detecting it from the stimulus (e.g. a pre-pulse before the step)',
      stimulusWindow,
    )
    .requiredOption('--out <dir>', 'output folder', outFolder)
    .action(async (files: string[], o: { out: string; stimulusWindow?: StimulusWindow }) => {
      const { runEphysExtract } = await import('../commands/ephys-extract.js');
      let bar: Progress | undefined;
      let current = '';
      const summary = await runEphysExtract(files, {
        ...o,
        onProgress: (file, filesDone, sweepsDone, sweeps) => {
          if (file !== current) {
            bar?.stop();
            current = file;
            bar = createProgress(`file ${filesDone + 1}/${files.length} sweeps`, sweeps);
          }
          bar!.update(sweepsDone);
        },
      });
      bar?.stop();
      for (const c of summary.cells)
        console.log(
          `${c.id}: ${c.sweeps} sweeps, ${c.excluded} excluded, ${c.spikes} spikes${c.rheobase_i !== undefined ? `, rheobase ${c.rheobase_i} pA` : ''}`,
        );
      for (const n of summary.featureVectorNotes) console.error(`feature vectors: ${n}`);
      console.log(
        `features: ${summary.files.features}\nsweeps: ${summary.files.sweeps}\n${summary.featureVectorCells ? `feature vectors: ${summary.files.vectors} (${summary.featureVectorCells} cells)\n` : ''}report: ${summary.files.report}`,
      );
    });
}

function registerEvaluate(ephys: Command): void {
  ephys
    .command('evaluate')
    .description(
      'cross-validated macro-F1 of the sPCA + random forest pipeline and the attention BiLSTM on one cohort; JSON and HTML report',
    )
    .argument('<cohort>', 'cohort file (YAML/JSON: features, labels, columns; see README)')
    .addOption(
      new Option('--models <list>', `comma-separated: ${EPHYS_MODELS.join(', ')}`)
        .argParser(listOf(EPHYS_MODELS))
        .default(['rf', 'bilstm'], 'rf,bilstm'),
    )
    .option('--folds <k>', 'stratified folds', FOLDS, 5)
    .option('--repeats <n>', 'repeats of the k folds', REPEATS, 1)
    .option('--trees <n>', 'random-forest trees', TREES, 500)
    .option('--seed <n>', 'random seed', seed, 0)
    .option(
      '--model <file>',
      'instead of cross-validating, score a model saved by `ephys fit` on this cohort',
    )
    .requiredOption('--out <dir>', 'writes evaluation.json and report.html here', outFolder)
    .action(
      async (
        cohortFile: string,
        o: {
          models: EphysModelName[];
          folds: number;
          repeats: number;
          trees: number;
          seed: number;
          model?: string;
          out: string;
        },
      ) => {
        const loaded = await load(cohortFile);
        if (o.model) {
          const r = scoreSavedForest(o.model, loaded, o.out);
          console.log(
            `macro-F1 ${r.macroF1.toFixed(3)}  accuracy ${r.accuracy.toFixed(3)}\nresults: ${resolve(r.file)}`,
          );
          return;
        }
        const { files } = await evaluateCohort(loaded, {
          ...o,
          onFold: (m, done, total) => console.error(`${m}: fold ${done}/${total}`),
          onModel: (m, r) =>
            console.log(
              `${m.padEnd(20)} macro-F1 ${r.macroF1.mean.toFixed(3)} ± ${r.macroF1.sd.toFixed(3)}  accuracy ${r.accuracy.mean.toFixed(3)}`,
            ),
        });
        console.log(`results: ${files.results}\nreport: ${files.report}`);
      },
    );
}

function registerFit(ephys: Command): void {
  ephys
    .command('fit')
    .description(
      'fit the sPCA + class-balanced random forest pipeline on every cell of a cohort and save it as JSON',
    )
    .argument('<cohort>', 'cohort file (YAML/JSON)')
    .option('--trees <n>', 'random-forest trees', TREES, 500)
    .option('--seed <n>', 'random seed', seed, 0)
    .requiredOption('--out <file>', 'model JSON (standardizer, sparse-PCA loadings, forest)')
    .action(async (cohortFile: string, o: { trees: number; seed: number; out: string }) => {
      const pipeline = fitForestModel(await load(cohortFile), o);
      const kept = pipeline.families.map((f) => `${f.name} ${f.keep.length}`).join(', ');
      console.log(`sparse-PCA components kept per family: ${kept}\nmodel: ${o.out}`);
    });
}

function registerTransfer(ephys: Command): void {
  ephys
    .command('transfer')
    .description(
      'mouse → human transfer: the attention BiLSTM (human-only, pretrain + fine-tune, joint) and the sPCA + forest pipeline (human-only, mouse-trained, pooled), cross-validated on the same human folds, on the features both cohorts share',
    )
    .argument('<mouse-cohort>', 'mouse cohort file')
    .argument(
      '<human-cohort>',
      'human cohort file (classes aligned; only features both cohorts have are used)',
    )
    .addOption(
      new Option('--strategies <list>', `comma-separated: ${STRATEGIES.join(', ')}`)
        .argParser(listOf(STRATEGIES))
        .default(STRATEGIES, 'all'),
    )
    .option('--folds <k>', 'stratified folds over human cells', FOLDS, 5)
    .option('--repeats <n>', 'repeats', REPEATS, 1)
    .option('--hidden <n>', 'BiLSTM hidden units per direction (paper: 128)', integer(1, 4096), 128)
    .option('--trees <n>', 'random-forest trees', TREES, 500)
    .option('--seed <n>', 'random seed', seed, 0)
    .addOption(deviceOption())
    .requiredOption('--out <dir>', 'writes transfer.json and report.html here', outFolder)
    .action(
      async (
        mouseFile: string,
        humanFile: string,
        { device, ...o }: Omit<EphysTransferOptions, 'onPair' | 'onFold'> & { device: string },
      ) => {
        setDefaultDevice(device);
        const { report, files } = await runEphysTransfer(mouseFile, humanFile, {
          ...o,
          onPair: printSpeciesPair,
          onFold: (done, total, s) => console.error(`training ${done}/${total} (${s})`),
        });
        for (const [s, r] of Object.entries(report.strategies))
          console.log(
            `${s.padEnd(18)} human macro-F1 ${r.macroF1.mean.toFixed(3)} ± ${r.macroF1.sd.toFixed(3)}`,
          );
        for (const c of report.comparisons)
          console.log(
            `${c.strategy} − ${c.baseline}: ${c.difference >= 0 ? '+' : ''}${c.difference.toFixed(3)}  p paired ${c.paired.p.toExponential(2)}, corrected ${c.corrected.p.toExponential(2)}`,
          );
        console.log(`results: ${files.results}\nreport: ${files.report}`);
      },
    );
}

export function registerSimulateEphys(simulate: Command): void {
  registerSimulateIcephys(simulate);
  registerSimulateEphysCohorts(simulate);
}

function registerSimulateIcephys(simulate: Command): void {
  simulate
    .command('icephys')
    .description(
      'current-clamp sweeps of a deterministic AdEx model neuron (R 200 MΩ, τ 20 ms, rheobase 90 pA) under long-square, short-square and ramp protocols, as NWB with icephys tables',
    )
    .option(
      '--protocols <list>',
      'comma-separated: long_square, short_square, ramp',
      listOf(['long_square', 'short_square', 'ramp'] as const),
      ['long_square', 'short_square', 'ramp'],
    )
    .option('--step <pA>', 'long-square amplitude step', integer(1, 1000), 20)
    .requiredOption('--out <file>', 'NWB file to write')
    .action(async (o: { protocols: IcephysProtocol[]; step: number; out: string }) => {
      const sweeps = await simulateIcephys(o);
      console.log(`${sweeps} sweeps (${o.protocols.join(', ')}) → ${o.out}`);
    });
}

function registerSimulateEphysCohorts(simulate: Command): void {
  simulate
    .command('ephys')
    .description(
      'a mouse-like and a human-like interneuron cohort (IPFX feature vectors + metadata) and their cohort files',
    )
    .option('--mouse-cells <n>', 'mouse cells', integer(1, 1_000_000), 800)
    .option('--human-cells <n>', 'human cells', integer(1, 1_000_000), 150)
    .option('--seed <n>', 'random seed', seed, 0)
    .requiredOption('--out <dir>', 'output folder', outFolder)
    .action(async (o: { mouseCells: number; humanCells: number; seed: number; out: string }) => {
      for (const w of await simulateEphysCohorts(o))
        console.log(`${w.species}: ${w.cells} cells → ${w.files.join(', ')}`);
    });
}
