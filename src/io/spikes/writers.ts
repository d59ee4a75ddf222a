/**
 * Writers for spike trains in three on-disk formats (ALF, Kilosort/Phy, NWB 2.x), used by
 * the simulator CLI, `spikes generate` (so pynapple / SpikeInterface users open generated
 * trains as they open recordings) and round-trip tests. Every file is written atomically.
 */
import { writeFileAtomic, withAtomicPath } from '../../core/atomic.js';
import { writeNpy } from '../npy.js';
import { createH5 } from '../h5.js';
import type { SpikeTrains } from './types.js';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

export const WRITE_FORMATS = ['alf', 'phy', 'nwb'] as const;
export type WriteFormat = (typeof WRITE_FORMATS)[number];

function clusterIds(st: SpikeTrains): Int32Array {
  const c = new Int32Array(st.times.length);
  for (let i = 0; i < c.length; i++) c[i] = st.unitIds[st.unitIndex[i]];
  return c;
}

/**
 * `dir/spikes.times.npy` (f8 seconds), `dir/spikes.clusters.npy` (i4) and, when unit ids
 * are 0..n-1 (ALF's row-per-cluster convention), `clusters.label.npy` (1 = good), which
 * also keeps units that never fire.
 */
export async function writeAlf(dir: string, st: SpikeTrains): Promise<string> {
  await writeNpy(join(dir, 'spikes.times.npy'), st.times);
  await writeNpy(join(dir, 'spikes.clusters.npy'), clusterIds(st));
  if (st.unitIds.every((id, k) => id === k)) {
    const label = Float64Array.from(st.unitIds, (id) => Number(st.labels?.get(id) ?? 1));
    await writeNpy(join(dir, 'clusters.label.npy'), label);
  }
  return dir;
}

/** Kilosort/Phy: sample indices (u8), cluster ids, params.py and cluster_group.tsv. */
export async function writePhy(
  dir: string,
  st: SpikeTrains,
  sampleRateHz = 30000,
): Promise<string> {
  const samples = new BigUint64Array(st.times.length);
  for (let i = 0; i < samples.length; i++)
    samples[i] = BigInt(Math.round(st.times[i] * sampleRateHz));
  await writeNpy(join(dir, 'spike_times.npy'), samples);
  await writeNpy(join(dir, 'spike_clusters.npy'), clusterIds(st));
  writeFileAtomic(
    join(dir, 'params.py'),
    `dat_path = 'recording.dat'\nn_channels_dat = 384\ndtype = 'int16'\noffset = 0\nsample_rate = ${sampleRateHz.toFixed(1)}\nhp_filtered = False\n`,
  );
  const rows = Array.from(st.unitIds, (id) => `${id}\t${st.labels?.get(id) ?? 'good'}`);
  writeFileAtomic(join(dir, 'cluster_group.tsv'), `cluster_id\tgroup\n${rows.join('\n')}\n`);
  return dir;
}

/** A minimal but valid-looking NWB 2.x file with the spikes in `/units`. */
export async function writeNwb(
  path: string,
  st: SpikeTrains,
  description = 'simulated spike trains',
): Promise<string> {
  // Group spikes by unit: NWB stores one ragged run per unit, ordered like `id`.
  const counts = new Int32Array(st.unitIds.length);
  for (let i = 0; i < st.unitIndex.length; i++) counts[st.unitIndex[i]]++;
  const index = new BigInt64Array(st.unitIds.length);
  const starts = new Int32Array(st.unitIds.length);
  let acc = 0;
  counts.forEach((c, k) => {
    starts[k] = acc;
    acc += c;
    index[k] = BigInt(acc);
  });
  const byUnit = new Float64Array(st.times.length);
  for (let i = 0; i < st.times.length; i++) byUnit[starts[st.unitIndex[i]]++] = st.times[i];
  await withAtomicPath(path, async (tmp) => {
    const f = await createH5(tmp);
    try {
      const now = new Date().toISOString();
      const typed = (o: { create_attribute(n: string, v: string): void }, type: string) => {
        o.create_attribute(
          'namespace',
          type === 'VectorData' ||
            type === 'VectorIndex' ||
            type === 'ElementIdentifiers' ||
            type === 'DynamicTable'
            ? 'hdmf-common'
            : 'core',
        );
        o.create_attribute('neurodata_type', type);
        o.create_attribute('object_id', objectId());
      };
      typed(f, 'NWBFile');
      f.create_attribute('nwb_version', '2.7.0');
      f.create_dataset({ name: 'identifier', data: `neurobridge-${objectId()}` });
      f.create_dataset({ name: 'session_description', data: description });
      f.create_dataset({ name: 'session_start_time', data: now });
      f.create_dataset({ name: 'timestamps_reference_time', data: now });
      f.create_dataset({ name: 'file_create_date', data: [now] });
      for (const g of ['acquisition', 'analysis', 'processing', 'stimulus', 'general'])
        f.create_group(g);
      f.create_group('stimulus/presentation');
      f.create_group('stimulus/templates');
      const units = f.create_group('units');
      typed(units, 'Units');
      units.create_attribute('colnames', ['spike_times']);
      units.create_attribute('description', 'spike-sorted units');
      const ids = units.create_dataset({ name: 'id', data: st.unitIds });
      typed(ids, 'ElementIdentifiers');
      const times = units.create_dataset({ name: 'spike_times', data: byUnit });
      typed(times, 'VectorData');
      times.create_attribute('description', 'spike times in seconds');
      times.create_attribute('resolution', -1.0);
      const idx = units.create_dataset({ name: 'spike_times_index', data: index });
      typed(idx, 'VectorIndex');
      idx.create_attribute('description', 'index into spike_times');
      idx.create_attribute('target', times.create_reference());
    } finally {
      f.close();
    }
  });
  return path;
}

/** NWB wants a UUID per typed object. */
function objectId(): string {
  return randomUUID();
}

/** Writes `st` in `format` under `out` (a folder for ALF/Phy, `out/spikes.nwb` for NWB). */
export async function writeSpikes(
  format: WriteFormat,
  out: string,
  st: SpikeTrains,
): Promise<string> {
  switch (format) {
    case 'alf':
      return writeAlf(out, st);
    case 'phy':
      return writePhy(out, st, st.sampleRateHz ?? 30000);
    case 'nwb':
      return writeNwb(out.endsWith('.nwb') ? out : join(out, 'spikes.nwb'), st);
  }
}
