/** `neurobridge engine info` and the engine `demo`. */
import type { Command } from 'commander';
import { seed } from './options.js';
import { engineInfo, runInWorker } from '../engine/index.js';
import type { EngineDemoProgress, EngineDemoResult } from '../pipelines/engine-demo.js';
import { createProgress } from './progress.js';

export function registerEngineCommands(program: Command): void {
  const engine = program.command('engine').description('the libtorch tensor engine');
  engine
    .command('info')
    .description('libtorch version, threads, BLAS library in use, CUDA')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      const info = engineInfo();
      if (o.json) return console.log(JSON.stringify(info, null, 2));
      console.log(
        `libtorch ${info.torchVersion}, ${info.threads} threads (OpenBLAS ${info.openblasThreads ?? 'default'})`,
      );
      console.log(
        `BLAS: ${info.blasLibraries.join(', ') || 'unknown'}${info.referenceBlas ? '  ← reference BLAS: slow, see README' : ''}`,
      );
      console.log(
        `CUDA: ${info.cuda ? `${info.cudaDevices} device(s)` : 'not available'}; causal attention on CUDA: ${info.cudaAttention}`,
      );
    });

  engine
    .command('demo')
    .description(
      'an MLP learns XOR and an LSTM a memory task, trained in a worker (no input files needed)',
    )
    .option('--seed <n>', 'random seed', seed, 0)
    .action(async (o: { seed: number }) => {
      const bars = new Map<string, ReturnType<typeof createProgress>>();
      const result = await runInWorker<{ seed: number }, EngineDemoProgress, EngineDemoResult>(
        new URL('../workers/engine-demo.js', import.meta.url),
        { seed: o.seed },
        (p) => {
          let bar = bars.get(p.task);
          if (!bar) bars.set(p.task, (bar = createProgress(p.task, p.total)));
          bar.update(p.step, { loss: p.loss });
          if (p.step === p.total) bar.stop();
        },
      );
      console.log(
        `XOR: final loss ${result.xorLoss.toFixed(4)}, predictions ${result.xorPredictions.map((p) => p.toFixed(2)).join(' ')}`,
      );
      console.log(
        `LSTM memory task: held-out accuracy ${(100 * result.lstmAccuracy).toFixed(1)} %`,
      );
      console.log(`done in ${result.seconds.toFixed(1)} s`);
    });
}
