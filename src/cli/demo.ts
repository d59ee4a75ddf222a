/** `neurobridge demo`: the spike transfer study on generated sessions, offline. */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { DEMO_SESSIONS, writeDemoData } from '../pipelines/spikes/demo.js';
import { packageVersion, studyAndPrint } from './spikes-model.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      `generate ${DEMO_SESSIONS.length} sessions (in vitro and in vivo, in ALF, Phy and NWB) and run the N × N transfer study on them`,
    )
    .option('--dir <dir>', 'where the sessions, models and results go', 'neurobridge-demo')
    .option(
      '--models <list>',
      "models compared (see `spikes study --models`): the default model at demo size and the paper's Dice model at tiny size",
      'demo,tiny:dice',
    )
    .option('--max-epochs <n>', 'training epochs per dataset', '4')
    .option('--workers <n>', 'train and score in N processes', '1')
    .action(async (o: { dir: string; models: string; maxEpochs: string; workers: string }) => {
      const dir = resolve(o.dir);
      console.error(`writing demo sessions to ${dir} ...`);
      const manifest = await writeDemoData(dir);
      const out = join(dir, 'study');
      const result = await studyAndPrint({
        manifest,
        out,
        preset: 'demo',
        losses: o.models.split(','),
        seed: 0,
        maxEpochs: Number(o.maxEpochs),
        codeVersion: packageVersion(),
        workers: Number(o.workers),
      });
      console.log(
        `${result.computedCells} cells computed, ${result.cachedCells} reused; results: ${join(out, 'study.json')}`,
      );
      console.log(`report: ${result.report}`);
    });
}
