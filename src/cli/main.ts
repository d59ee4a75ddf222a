#!/usr/bin/env node
/**
 * The `neurobridge` command. Each area registers its own sub-commands from one file in
 * this folder; this file only assembles them and turns input errors into one-line messages.
 */
import { Command } from 'commander';
import { InputError, Interrupted, ResourceError, UsageError } from '../core/errors.js';
import { registerDemoCommand } from './demo.js';
import { registerCellsCommands, registerSimulateCells } from './cells.js';
import { registerEngineCommands } from './engine.js';
import { registerEphysCommands, registerSimulateEphys } from './ephys.js';
import { registerSimulateSpikes, registerSpikesCommands } from './spikes-data.js';
import { packageVersion } from '../core/package.js';
import { withFlags } from './flags.js';
import { registerSpikeModelCommands } from './spikes-model.js';
import { registerStudyCommands } from './spikes-study.js';

export function buildProgram(): Command {
  const program = new Command('neurobridge')
    .description('Cross-domain transfer learning on neural data')
    .version(packageVersion());
  // Errors in options are one line (commander names the option and what it expects);
  // `--help` shows the usage.
  registerDemoCommand(program);
  registerEngineCommands(program);
  registerSpikesCommands(program);
  const spikes = program.commands.find((c) => c.name() === 'spikes')!;
  registerSpikeModelCommands(spikes);
  registerStudyCommands(spikes);
  registerEphysCommands(program);
  registerCellsCommands(program);
  const simulate = program
    .command('simulate')
    .description('write realistic synthetic data in real file formats');
  registerSimulateSpikes(simulate);
  registerSimulateEphys(simulate);
  registerSimulateCells(simulate);
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof InputError || err instanceof UsageError || err instanceof ResourceError) {
      console.error(`neurobridge: ${withFlags(err.message)}`);
      process.exit(2);
    }
    if (err instanceof Interrupted) {
      console.error(`neurobridge: ${err.message}`);
      process.exit(130);
    }
    throw err;
  }
}

await main();
