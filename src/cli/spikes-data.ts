/**
 * `neurobridge spikes inspect|prepare` and `neurobridge simulate spikes`.
 */
import type { Command } from 'commander';
import { basename, resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { UsageError } from '../core/errors.js';
import { labelCounts, readSpikes, SPIKE_FORMATS, type SpikeTrains } from '../io/spikes/index.js';
import { prepareManifest } from '../pipelines/spikes/prepare.js';
import { SIM_KINDS, simulateSpikes } from '../sim/spikes.js';
import { simulateNetwork } from '../sim/network.js';
import { WRITE_FORMATS, writeSpikes, type WriteFormat } from '../io/spikes/writers.js';
import { choice, integer, outFolder, real, seed } from './options.js';
import { quantileSorted } from '../stats/hypothesis-tests.js';

export interface SpikeSummary {
  path: string;
  format: string;
  units: number;
  spikes: number;
  durationS: number;
  sampleRateHz: number | null;
  /** Per-unit firing rates (Hz): min, 25 %, median, 75 %, max. */
  rateQuantilesHz: { q0: number; q25: number; q50: number; q75: number; q100: number };
  /** Fraction of 1 ms (bin × unit) cells holding at least one spike. */
  sparsity1ms: number;
  labels: Record<string, number> | null;
  spontaneousS: [number, number] | null;
}

// No units → zeros in the summary (quantileSorted gives NaN, which JSON cannot hold).
const quantile = (sorted: Float64Array, q: number) =>
  sorted.length === 0 ? 0 : quantileSorted(sorted, q);

export function summarizeSpikes(st: SpikeTrains): SpikeSummary {
  const nU = st.unitIds.length;
  const counts = new Float64Array(nU);
  const lastBin = new Float64Array(nU).fill(-1);
  let occupied = 0;
  for (let i = 0; i < st.times.length; i++) {
    const u = st.unitIndex[i];
    counts[u]++;
    const b = Math.floor(st.times[i] * 1000 + 1e-9);
    if (b !== lastBin[u]) {
      lastBin[u] = b;
      occupied++;
    }
  }
  const dur = st.durationS > 0 ? st.durationS : 1;
  const rates = counts.map((c) => c / dur).sort();
  // Counted in a Map (a label such as `constructor` must not reach an object's prototype).
  const counted = labelCounts(st);
  const labels = counted ? Object.fromEntries(counted) : null;
  const bins = Math.max(1, Math.ceil(st.durationS * 1000));
  return {
    path: st.provenance.path,
    format: st.provenance.format,
    units: nU,
    spikes: st.times.length,
    durationS: st.durationS,
    sampleRateHz: st.sampleRateHz ?? null,
    rateQuantilesHz: {
      q0: quantile(rates, 0),
      q25: quantile(rates, 0.25),
      q50: quantile(rates, 0.5),
      q75: quantile(rates, 0.75),
      q100: quantile(rates, 1),
    },
    sparsity1ms: nU === 0 ? 0 : occupied / (bins * nU),
    labels,
    spontaneousS: st.spontaneousS ?? null,
  };
}

/** A hand-written SVG raster of the first `seconds` of up to `maxUnits` units. */
export function rasterSvg(st: SpikeTrains, seconds = 30, maxUnits = 200): string {
  const w = 1000;
  const units = Math.min(maxUnits, st.unitIds.length);
  const rowH = units > 100 ? 2 : 4;
  const h = Math.max(1, units) * rowH;
  const t0 = st.times.length ? st.times[0] : 0;
  const span = Math.min(seconds, Math.max(st.durationS - t0, 1e-3));
  const parts: string[] = [];
  for (let i = 0; i < st.times.length && st.times[i] < t0 + span && parts.length < 50000; i++) {
    const u = st.unitIndex[i];
    if (u >= units) continue;
    const x = ((st.times[i] - t0) / span) * w;
    parts.push(`M${x.toFixed(1)} ${u * rowH}v${rowH}`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h + 20}" viewBox="0 0 ${w} ${h + 20}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<path d="${parts.join('')}" stroke="black" stroke-width="1"/>`,
    `<text x="4" y="${h + 15}" font-family="sans-serif" font-size="12">${escapeXml(basename(st.provenance.path))}: ${units} units, ${t0.toFixed(2)}–${(t0 + span).toFixed(2)} s</text>`,
    `</svg>\n`,
  ].join('\n');
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const TIME_UNITS = ['s', 'ms', 'samples'] as const;

export function registerSpikesCommands(program: Command): void {
  const spikes = program.command('spikes').description('spike-sorted sessions');
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
        o: {
          format?: string;
          sampleRate?: number;
          timeUnit?: (typeof TIME_UNITS)[number];
          well?: string;
          raster?: string;
          json?: boolean;
        },
      ) => {
        const st = await readSpikes(path, {
          format: o.format,
          sampleRateHz: o.sampleRate,
          timeUnit: o.timeUnit,
          well: o.well,
        });
        const summary = summarizeSpikes(st);
        const raster = resolve(o.raster ?? `${basename(resolve(path))}-raster.svg`);
        writeFileAtomic(raster, rasterSvg(st));
        if (o.json) return console.log(JSON.stringify({ ...summary, raster }, null, 2));
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

/** What `simulate spikes --kind` offers: the phenomenological kinds, then the LIF network. */
const SIMULATED_KINDS = [...SIM_KINDS, 'network-in-vitro', 'network-in-vivo'] as const;

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
      async (o: {
        kind: (typeof SIMULATED_KINDS)[number];
        format: WriteFormat;
        out: string;
        seed: number;
        duration: number;
        units: number;
        neurons: number;
      }) => {
        const { seed, units, duration: durationS } = o;
        let st;
        if (o.kind === 'network-in-vitro' || o.kind === 'network-in-vivo') {
          if (o.neurons < units)
            throw new UsageError(
              `--neurons: expected at least --units (${units}), got ${o.neurons}`,
            );
          const regime = o.kind === 'network-in-vitro' ? 'in_vitro' : 'in_vivo';
          st = simulateNetwork({ regime, durationS, seed, neurons: o.neurons, recorded: units });
        } else {
          st = simulateSpikes({ kind: o.kind, durationS, seed, units });
        }
        const written = await writeSpikes(o.format, o.out, st);
        console.log(
          `${o.kind}: ${st.unitIds.length} units, ${st.times.length} spikes → ${written}`,
        );
      },
    );
}
