/** `neurobridge ephys extract|fit|evaluate|transfer` and `neurobridge simulate ephys|icephys`. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { readCohortSpec } from '../pipelines/ephys/cohort-spec.js';
import {
  EPHYS_MODELS,
  describeCohort,
  evaluateCohort,
  scoreSavedForest,
  type EphysModelName,
} from '../commands/ephys-evaluate.js';
import { fitForestPipeline } from '../pipelines/ephys/forest.js';
import { loadCohort, type LoadedCohort } from '../pipelines/ephys/load.js';
import { renderSpeciesTransfer } from '../report/ephys.js';
import { simulateEphysCohort, writeEphysCohort, type EphysSpecies } from '../sim/ephys.js';
import { integer, listOf, outFolder, seed } from './options.js';
import { createProgress, type Progress } from './progress.js';

const FOLDS = integer(2, 1000);
const REPEATS = integer(1, 1000);
const TREES = integer(1, 100_000);

/** Loads a cohort and prints its summary line (stderr). */
async function load(file: string): Promise<LoadedCohort> {
  const l = await loadCohort(readCohortSpec(file));
  const d = describeCohort(l);
  console.error(
    `${d.species}: ${d.cells} cells after QC (${l.qc.droppedCells} dropped for missing values, ${l.qc.droppedFeatures.length} features dropped, ${l.unlabeled} without a label), classes ${JSON.stringify(d.classes)}`,
  );
  return l;
}

/** `START:END` in seconds from sweep start, START < END. */
function stimulusWindow(value: string): { start: number; end: number } {
  const m = /^\s*([0-9.eE+-]+)\s*:\s*([0-9.eE+-]+)\s*$/.exec(value);
  const start = Number(m?.[1]);
  const end = Number(m?.[2]);
  if (!m || !Number.isFinite(start) || !Number.isFinite(end) || start < 0 || end <= start)
    throw new InvalidArgumentError(
      'expected START:END in seconds from sweep start, 0 ≤ START < END (e.g. 1.02:2.02)',
    );
  return { start, end };
}

export function registerEphysCommands(program: Command): void {
  const ephys = program
    .command('ephys')
    .description('electrophysiology → transcriptomic subclass, mouse → human transfer');

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
    .action(
      async (
        files: string[],
        o: { out: string; stimulusWindow?: { start: number; end: number } },
      ) => {
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
      },
    );

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
      const loaded = await load(cohortFile);
      const pipeline = fitForestPipeline(loaded.cohort, { trees: o.trees, seed: o.seed });
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
    .option('--folds <k>', 'stratified folds over human cells', FOLDS, 5)
    .option('--repeats <n>', 'repeats', REPEATS, 1)
    .option('--hidden <n>', 'BiLSTM hidden units per direction (paper: 128)', integer(1, 4096), 128)
    .option('--seed <n>', 'random seed', seed, 0)
    .requiredOption('--out <dir>', 'writes transfer.json and report.html here', outFolder)
    .action(
      async (
        mouseFile: string,
        humanFile: string,
        o: { folds: number; repeats: number; hidden: number; seed: number; out: string },
      ) => {
        const mouse = await load(mouseFile);
        const human = await load(humanFile);
        const { runSpeciesTransfer } = await import('../pipelines/ephys/transfer-study.js');
        const result = runSpeciesTransfer(mouse.cohort, human.cohort, {
          folds: o.folds,
          repeats: o.repeats,
          hidden: o.hidden,
          seed: o.seed,
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
      },
    );
}

export function registerSimulateEphys(simulate: Command): void {
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
    .action(
      async (o: {
        protocols: ('long_square' | 'short_square' | 'ramp')[];
        step: number;
        out: string;
      }) => {
        const { protocolSweeps, writeIcephysNwb } = await import('../sim/icephys.js');
        const sweeps = o.protocols.flatMap((p, k) =>
          protocolSweeps(p, undefined, { stepPa: o.step, firstSweep: k * 100 }),
        );
        await writeIcephysNwb(o.out, sweeps);
        console.log(`${sweeps.length} sweeps (${o.protocols.join(', ')}) → ${o.out}`);
      },
    );

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
      for (const [species, cells, offset] of [
        ['mouse', o.mouseCells, 1],
        ['human', o.humanCells, 2],
      ] as [EphysSpecies, number, number][]) {
        const sim = simulateEphysCohort({ species, cells, seed: o.seed * 10 + offset });
        const files = await writeEphysCohort(o.out, sim);
        const spec = `species: ${species}\nfeatures: ${species}_fv.h5\nlabels: ${species}_metadata.csv\nid_column: specimen_id\nlabel_column: subclass_label\n`;
        writeFileAtomic(join(o.out, `${species}.yaml`), spec);
        console.log(
          `${species}: ${cells} cells → ${files.vectors}, ${files.metadata}, ${join(o.out, `${species}.yaml`)}`,
        );
      }
    });
}
