/**
 * `neurobridge simulate spikes|ephys|icephys|cells` as functions: each runs a seeded
 * generator of src/sim and writes what it made in real formats.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { writeH5ad } from '../io/cells/h5ad.js';
import { writeSpikes, type WriteFormat } from '../io/spikes/writers.js';
import { simulateCellCorpus, simulatedOrthologTable } from '../sim/cells.js';
import { simulateEphysCohort, writeEphysCohort, type EphysSpecies } from '../sim/ephys.js';
import { protocolSweeps, writeIcephysNwb, type IcephysProtocol } from '../sim/icephys.js';
import { simulateNetwork } from '../sim/network.js';
import { SIM_KINDS, simulateSpikes } from '../sim/spikes.js';

/** What `simulate spikes --kind` offers: the phenomenological kinds, then the LIF network. */
export const SIMULATED_KINDS = [...SIM_KINDS, 'network-in-vitro', 'network-in-vivo'] as const;
export type SimulatedKind = (typeof SIMULATED_KINDS)[number];

export interface SimulateSpikesOptions {
  kind: SimulatedKind;
  format: WriteFormat;
  out: string;
  seed: number;
  durationS: number;
  /** Units written (network kinds: neurons recorded, at most `neurons`). */
  units: number;
  /** Network kinds: the network's size. */
  neurons: number;
}

/** One simulated session written as `format`; returns its size and where it went. */
export async function simulateSpikeSession(
  o: SimulateSpikesOptions,
): Promise<{ units: number; spikes: number; written: string }> {
  const { seed, units, durationS } = o;
  const st =
    o.kind === 'network-in-vitro' || o.kind === 'network-in-vivo'
      ? simulateNetwork({
          regime: o.kind === 'network-in-vitro' ? 'in_vitro' : 'in_vivo',
          durationS,
          seed,
          neurons: o.neurons,
          recorded: units,
        })
      : simulateSpikes({ kind: o.kind, durationS, seed, units });
  const written = await writeSpikes(o.format, o.out, st);
  return { units: st.unitIds.length, spikes: st.times.length, written };
}

/** The mouse-like and human-like cohorts: feature vectors, metadata and a cohort file each. */
export async function simulateEphysCohorts(o: {
  mouseCells: number;
  humanCells: number;
  seed: number;
  out: string;
}): Promise<{ species: EphysSpecies; cells: number; files: string[] }[]> {
  const written = [];
  for (const [species, cells, offset] of [
    ['mouse', o.mouseCells, 1],
    ['human', o.humanCells, 2],
  ] as [EphysSpecies, number, number][]) {
    const sim = simulateEphysCohort({ species, cells, seed: o.seed * 10 + offset });
    const files = await writeEphysCohort(o.out, sim);
    const spec = `species: ${species}\nfeatures: ${species}_fv.h5\nlabels: ${species}_metadata.csv\nid_column: specimen_id\nlabel_column: subclass_label\n`;
    const cohortFile = join(o.out, `${species}.yaml`);
    writeFileAtomic(cohortFile, spec);
    written.push({ species, cells, files: [files.vectors, files.metadata, cohortFile] });
  }
  return written;
}

/** The AdEx neuron's sweeps under the protocols, as one NWB file; returns the sweep count. */
export async function simulateIcephys(o: {
  protocols: IcephysProtocol[];
  step: number;
  out: string;
}): Promise<number> {
  const sweeps = o.protocols.flatMap((p, k) =>
    protocolSweeps(p, undefined, { stepPa: o.step, firstSweep: k * 100 }),
  );
  await writeIcephysNwb(o.out, sweeps);
  return sweeps.length;
}

/** Human-like and mouse-like corpora (`.h5ad`) and their ortholog table; returns the files. */
export async function simulateCells(o: {
  cells: number;
  seed: number;
  out: string;
}): Promise<string[]> {
  const files = [];
  for (const [species, offset] of [
    ['human', 1],
    ['mouse', 2],
  ] as const) {
    const m = simulateCellCorpus({
      species,
      cells: o.cells,
      seed: o.seed * 10 + offset,
      programmeSeed: o.seed,
    });
    const file = join(o.out, `${species}.h5ad`);
    await writeH5ad(file, m);
    files.push(file);
  }
  const orthologs = join(o.out, 'orthologs.tsv');
  writeFileAtomic(orthologs, simulatedOrthologTable());
  return [...files, orthologs];
}
