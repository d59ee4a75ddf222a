/**
 * `neurobridge spikes inspect|prepare` and `neurobridge simulate spikes`: options parsed and
 * checked here, the work in src/commands (inspect, simulate) and pipelines/spikes (prepare).
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { SPIKE_FORMATS } from '../io/spikes/index.js';
import { WRITE_FORMATS, type WriteFormat } from '../io/spikes/writers.js';
import { prepareManifest } from '../pipelines/spikes/data/prepare.js';
import { inspectSpikes, type InspectOptions } from '../commands/spikes-inspect.js';
import { SIMULATED_KINDS, simulateSpikeSession, type SimulatedKind } from '../commands/simulate.js';
import { choice, integer, outFolder, real, seed } from './options.js';

const TIME_UNITS = ['s', 'ms', 'samples'] as const;

export function registerSpikesCommands(program: Command): void {
  const spikes = program.command('spikes').description('spike-sorted sessions');
  registerInspect(spikes);
  registerPrepare(spikes);
}

function registerInspect(spikes: Command): void {
  spikes
    .command('inspect')
    .description('units, spikes, duration, rates and sparsity of a session, plus a raster image')
    .argument(
      '<path>',
      'ALF/Phy folder, .nwb, SpyKING CIRCUS .result.hdf5, MaxWell .h5, MEA spike-list .h5, Axion spike_list.csv[.gz], .csv/.tsv',
    )
    .addOption(choice('--format <format>', 'force the format', SPIKE_FORMATS))
    .option(
      '--sample-rate <hz>',
      'sampling rate, for formats that do not store it',
      real(0, 1e9, { minExclusive: true }),
    )
    .addOption(choice('--time-unit <unit>', 'CSV time column unit', TIME_UNITS))
    .option('--well <well>', 'multi-well plates: the well to read (Axion A1, MaxWell well000)')
    .option('--raster <file>', 'where to write the SVG raster (default <name>-raster.svg here)')
    .option('--json', 'print JSON')
    .action(
      async (
        path: string,
        {
          sampleRate,
          json,
          ...o
        }: Omit<InspectOptions, 'sampleRateHz'> & { sampleRate?: number; json?: boolean },
      ) => {
        const { summary, raster } = await inspectSpikes(path, { ...o, sampleRateHz: sampleRate });
        if (json) return console.log(JSON.stringify({ ...summary, raster }, null, 2));
        const q = summary.rateQuantilesHz;
        console.log(`${summary.path} (${summary.format})`);
        console.log(
          `${summary.units} units, ${summary.spikes} spikes, ${summary.durationS.toFixed(3)} s` +
            (summary.sampleRateHz ? `, sampled at ${summary.sampleRateHz} Hz` : ''),
        );
        console.log(
          `rates (Hz): min ${q.q0.toFixed(3)}, q25 ${q.q25.toFixed(3)}, median ${q.q50.toFixed(3)}, q75 ${q.q75.toFixed(3)}, max ${q.q100.toFixed(3)}`,
        );
        console.log(
          `1 ms sparsity: ${(100 * summary.sparsity1ms).toFixed(4)} % of cells hold a spike`,
        );
        if (summary.labels) console.log(`labels: ${JSON.stringify(summary.labels)}`);
        if (summary.spontaneousS)
          console.log(`spontaneous period: ${summary.spontaneousS.join('–')} s`);
        console.log(`raster: ${raster}`);
      },
    );
}

function registerPrepare(spikes: Command): void {
  spikes
    .command('prepare')
    .description(
      'bin every dataset of a manifest into cached binary rasters (written all or nothing)',
    )
    .argument('<manifest>', 'YAML or JSON manifest')
    .option('--out <dir>', 'output folder (cache and index.json)', outFolder, 'prepared')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { out: string; json?: boolean }) => {
      const { datasets } = await prepareManifest(file, o.out, (e) => {
        if (!o.json)
          console.log(
            `${e.id}: ${e.bins} bins × ${e.units} units, ${e.spikesInWindow} spikes (${e.spikesLost} lost to one-per-bin)${e.cached ? ' [cached]' : ''}`,
          );
      });
      if (o.json) console.log(JSON.stringify(datasets, null, 2));
    });
}

export function registerSimulateSpikes(simulate: Command): void {
  simulate
    .command('spikes')
    .description(
      'simulate an in-vitro-like or in-vivo-like spike-sorted session (phenomenological, or recorded from a spiking E/I network)',
    )
    .addOption(
      choice(
        '--kind <kind>',
        'in_vitro, in_vivo (phenomenological), network-in-vitro or network-in-vivo (LIF network)',
        SIMULATED_KINDS,
        'in_vitro',
      ),
    )
    .addOption(choice('--format <format>', 'output format', WRITE_FORMATS, 'alf'))
    .requiredOption('--out <dir>', 'output folder')
    .option('--seed <n>', 'random seed', seed, 0)
    .option(
      '--duration <s>',
      "length in seconds (the default covers the paper's in-vitro window, 1800-2400 s)",
      real(0, 1e6, { minExclusive: true, why: 'at most about 11.5 days' }),
      2430,
    )
    .option(
      '--units <n>',
      'number of units (network kinds: neurons recorded)',
      integer(1, 100_000),
      320,
    )
    .option('--neurons <n>', 'network kinds: network size', integer(1, 100_000), 1000)
    .action(
      async ({
        duration,
        ...o
      }: {
        kind: SimulatedKind;
        format: WriteFormat;
        out: string;
        seed: number;
        duration: number;
        units: number;
        neurons: number;
      }) => {
        if (o.kind.startsWith('network-') && o.neurons < o.units)
          throw new UsageError(
            `--neurons: expected at least --units (${o.units}), got ${o.neurons}`,
          );
        const r = await simulateSpikeSession({ ...o, durationS: duration });
        console.log(`${o.kind}: ${r.units} units, ${r.spikes} spikes → ${r.written}`);
      },
    );
}
