/** `neurobridge demo`: the spike transfer study on generated sessions, offline. */
import { Option, type Command } from 'commander';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { DEMO_SESSIONS, writeDemoData } from '../pipelines/spikes/study/demo-study.js';
import { outFolder } from './options.js';
import { packageVersion } from '../core/package.js';
import { MAX_EPOCHS, WORKERS, modelList } from './spikes-model.js';
import { studyAndPrint } from './spikes-study.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      `generate ${DEMO_SESSIONS.length} sessions (in vitro and in vivo, in ALF, Phy and NWB) and run the N × N transfer study on them`,
    )
    .option(
      '--dir <dir>',
      'where the sessions, models and results go',
      outFolder,
      'neurobridge-demo',
    )
    .addOption(
      new Option(
        '--models <list>',
        "models compared (see `spikes study --models`): the default model at demo size and the paper's Dice model at tiny size",
      )
        .argParser(modelList)
        .default(['demo', 'tiny:dice'], 'demo,tiny:dice'),
    )
    .option('--max-epochs <n>', 'training epochs per dataset', MAX_EPOCHS, 4)
    .option(
      '--workers <n>',
      'train and score in N processes (default: 2 where there are 2 cores)',
      WORKERS,
      Math.min(2, availableParallelism()),
    )
    .action(async (o: { dir: string; models: string[]; maxEpochs: number; workers: number }) => {
      const dir = resolve(o.dir);
      console.error(`writing demo sessions to ${dir} ...`);
      const manifest = await writeDemoData(dir);
      const out = join(dir, 'study');
      const result = await studyAndPrint({
        manifest,
        out,
        preset: 'demo',
        losses: o.models,
        seed: 0,
        maxEpochs: o.maxEpochs,
        codeVersion: packageVersion(),
        workers: o.workers,
      });
      console.log(
        `${result.computedCells} cells computed, ${result.cachedCells} reused; results: ${join(out, 'study.json')}`,
      );
      console.log(`report: ${result.report}`);
      console.log(
        `full size: write a manifest of your sessions (see examples/real-transfer/study.yaml) and run \`neurobridge spikes study MANIFEST --models default,paper:dice --out study\` (hours per model on 2 cores; --executor slurm spreads the models over a cluster)`,
      );
    });
}
