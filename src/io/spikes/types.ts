/**
 * One spike-sorted session, whatever format it came from.
 *
 * Representation (compact, one pass friendly): all spikes of all units in two parallel
 * arrays, sorted by time (ties by unit index):
 *   - `times[i]`     spike time in seconds from the start of the recording (Float64Array)
 *   - `unitIndex[i]` index into `unitIds` of the unit that fired it (Int32Array)
 * `unitIds` holds the sorter's own cluster/unit ids, ascending. 10^8 spikes take 1.2 GB.
 */
import { InputError } from '../../core/errors.js';

/** The registered formats' names (the list itself, `SPIKE_FORMATS`, is in `registry.ts`). */
export type SpikeFormat = 'alf' | 'phy' | 'nwb' | 'circus' | 'maxwell' | 'mea-h5' | 'axion' | 'csv';

export interface SpikeTrains {
  /** Unit (cluster) ids as the sorter numbered them, ascending. */
  unitIds: Int32Array;
  /** Spike times in seconds, ascending. */
  times: Float64Array;
  /** For each spike, its unit's position in `unitIds`. */
  unitIndex: Int32Array;
  /** Recording length in seconds (from the file when known, else the last spike time). */
  durationS: number;
  /**
   * Where `durationS` comes from: `recording` when the file (or the simulator) states the
   * recording's end, `last-spike` when the format stores no length and it is the last spike
   * time. Binning lets a window end at the end of the last spike's bin in the second case.
   * Absent (older objects) means `last-spike`.
   */
  durationFrom?: 'recording' | 'last-spike';
  /** Sampling rate of the acquisition, when the format has one. */
  sampleRateHz?: number;
  /** Curation labels by unit id (e.g. Phy `good`/`mua`, ALF `clusters.label`), when present. */
  labels?: Map<number, string>;
  /** The file's own names by unit id (MEA electrode or channel names), when it has them. */
  unitNames?: Map<number, string>;
  /** Spontaneous-activity interval [start, end] in seconds (IBL passive periods), if known. */
  spontaneousS?: [number, number];
  provenance: {
    format: SpikeFormat | 'simulated';
    /** The path the user gave (file or folder). */
    path: string;
    /** Every file whose contents went into this object (for cache keys). */
    files: string[];
    [key: string]: unknown;
  };
}

export interface ReadOptions {
  /** Sampling rate for formats that store sample indices without saying the rate. */
  sampleRateHz?: number;
  /** Keep only units with these curation labels (Phy cluster_group / ALF clusters.label). */
  labels?: string[];
  /** CSV/TSV: the unit of the time column. */
  timeUnit?: 's' | 'ms' | 'samples';
  /**
   * Multi-well plates: the well that makes the dataset (Axion `A1`; MaxWell `well000`, its
   * default). Each well is an independent network, so a plate is never read as one session.
   */
  well?: string;
}

/**
 * Validates spike times and cluster ids read from a file and builds the canonical form.
 * Times must be finite and ≥ 0 in every format (NaN, ±Infinity and negative times are
 * refused, naming the spike). Order depends on what the format promises:
 * `sorted: 'global'` demands times ascending over the whole file (ALF, Phy: the sorters
 * write them so, and a file out of order is damaged); `'per-unit'` demands them ascending
 * within each unit (NWB, SpyKING CIRCUS, MEA spike lists); `'none'` sorts whatever comes
 * (CSV, MaxWell and Axion tables, whose rows carry no order promise).
 */
export function buildSpikeTrains(
  file: string,
  field: string,
  times: Float64Array,
  clusters: ArrayLike<number>,
  sorted: 'global' | 'per-unit' | 'none',
  rest: Omit<SpikeTrains, 'unitIds' | 'times' | 'unitIndex' | 'durationS' | 'durationFrom'> & {
    /** The recording's end when known; `durationFrom` is then `recording` unless given. */
    durationS?: number;
    durationFrom?: 'recording' | 'last-spike';
    /** Units the file declares (e.g. NWB `id`), kept even when they never fire. */
    knownUnitIds?: ArrayLike<number>;
    /** The caller owns `clusters` (an Int32Array): overwrite it with unit indices, saving n×4 bytes. */
    reuseClusters?: boolean;
  },
): SpikeTrains {
  const { knownUnitIds = [], reuseClusters = false, durationFrom, ...meta } = rest;
  if (times.length !== clusters.length) {
    throw new InputError(
      file,
      field,
      `spike times and cluster ids differ in length (${times.length} times, ${clusters.length} cluster ids); expected one cluster id per spike`,
    );
  }
  const n = times.length;
  let globallySorted = true;
  let minId = Infinity;
  let maxId = -Infinity;
  const lastByUnit = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const t = times[i];
    if (!Number.isFinite(t)) {
      throw new InputError(file, field, `spike ${i} has time ${t}; expected a finite number`);
    }
    if (t < 0) throw new InputError(file, field, `spike ${i} has negative time ${t}; expected ≥ 0`);
    const c = clusters[i];
    if (!Number.isInteger(c) || c < -2147483648 || c > 2147483647) {
      throw new InputError(
        file,
        field,
        `spike ${i} has cluster id ${c}; expected a 32-bit integer`,
      );
    }
    if (c < minId) minId = c;
    if (c > maxId) maxId = c;
    if (i > 0 && t < times[i - 1]) {
      globallySorted = false;
      if (sorted === 'global') {
        throw new InputError(
          file,
          field,
          `spike times not sorted: spike ${i} at ${t} s comes after ${times[i - 1]} s; expected ascending times`,
        );
      }
    }
    if (sorted === 'per-unit') {
      const last = lastByUnit.get(c);
      if (last !== undefined && t < last) {
        throw new InputError(
          file,
          field,
          `spike times of unit ${c} not sorted (${t} s after ${last} s); expected ascending times per unit`,
        );
      }
      lastByUnit.set(c, t);
    }
  }
  for (let j = 0; j < knownUnitIds.length; j++) {
    const c = knownUnitIds[j];
    if (!Number.isInteger(c) || c < -2147483648 || c > 2147483647) {
      throw new InputError(file, 'unit ids', `unit id ${c} is not a 32-bit integer`);
    }
    if (c < minId) minId = c;
    if (c > maxId) maxId = c;
  }
  // Cluster ids are small dense integers in every sorter we read: a lookup table beats a Map
  // by an order of magnitude at 10^8 spikes.
  let unitIds: Int32Array;
  let unitIndex: Int32Array =
    reuseClusters && clusters instanceof Int32Array ? clusters : new Int32Array(n);
  if (maxId >= minId && maxId - minId < 1 << 24) {
    const table = new Int32Array(maxId - minId + 1).fill(-1);
    for (let i = 0; i < n; i++) table[clusters[i] - minId] = 0;
    for (let j = 0; j < knownUnitIds.length; j++) table[knownUnitIds[j] - minId] = 0;
    let k = 0;
    const ids: number[] = [];
    for (let j = 0; j < table.length; j++) {
      if (table[j] === 0) {
        table[j] = k++;
        ids.push(j + minId);
      }
    }
    unitIds = Int32Array.from(ids);
    for (let i = 0; i < n; i++) unitIndex[i] = table[clusters[i] - minId];
  } else {
    const ids = new Set<number>();
    for (let i = 0; i < n; i++) ids.add(clusters[i]);
    for (let j = 0; j < knownUnitIds.length; j++) ids.add(knownUnitIds[j]);
    unitIds = Int32Array.from([...ids].sort((a, b) => a - b));
    const indexOf = new Map<number, number>();
    unitIds.forEach((id, k) => indexOf.set(id, k));
    for (let i = 0; i < n; i++) unitIndex[i] = indexOf.get(clusters[i])!;
  }
  let outTimes: Float64Array = times;
  if (!globallySorted || !tiesCanonical(times, unitIndex)) {
    [outTimes, unitIndex] = sortByTimeThenUnit(times, unitIndex);
  }
  const last = n > 0 ? outTimes[n - 1] : 0;
  return {
    ...meta,
    unitIds,
    times: outTimes,
    unitIndex,
    durationS: Math.max(meta.durationS ?? 0, last),
    durationFrom:
      durationFrom ??
      (meta.durationS !== undefined && meta.durationS >= last ? 'recording' : 'last-spike'),
  };
}

function tiesCanonical(times: Float64Array, unitIndex: Int32Array): boolean {
  for (let i = 1; i < times.length; i++) {
    if (times[i] === times[i - 1] && unitIndex[i] < unitIndex[i - 1]) return false;
  }
  return true;
}

/**
 * Sorts spikes by (time, unit index) into new arrays. Input made of a few ascending runs
 * (one per unit, as NWB and SpyKING CIRCUS store them) is merged with a heap in
 * O(n log runs); anything more shuffled falls back to a comparison sort.
 */
export function sortByTimeThenUnit(
  times: Float64Array,
  unitIndex: Int32Array,
): [Float64Array, Int32Array] {
  const n = times.length;
  const less = (i: number, j: number) =>
    times[i] < times[j] || (times[i] === times[j] && unitIndex[i] < unitIndex[j]);
  const starts: number[] = [0];
  for (let i = 1; i < n && starts.length <= 65536; i++) if (less(i, i - 1)) starts.push(i);
  const t = new Float64Array(n);
  const u = new Int32Array(n);
  if (starts.length > 65536) {
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => times[a] - times[b] || unitIndex[a] - unitIndex[b]);
    for (let i = 0; i < n; i++) {
      t[i] = times[order[i]];
      u[i] = unitIndex[order[i]];
    }
    return [t, u];
  }
  // Binary min-heap of run cursors, keyed by the spike each cursor points at.
  const k = starts.length;
  const pos = Int32Array.from(starts);
  const end = Int32Array.from(starts.slice(1).concat([n]));
  const heap = Int32Array.from({ length: k }, (_, r) => r);
  let size = k;
  const key = (r: number) => pos[r];
  const down = (h: number) => {
    for (;;) {
      const l = 2 * h + 1;
      if (l >= size) return;
      let m = l;
      if (l + 1 < size && less(key(heap[l + 1]), key(heap[l]))) m = l + 1;
      if (!less(key(heap[m]), key(heap[h]))) return;
      const tmp = heap[m];
      heap[m] = heap[h];
      heap[h] = tmp;
      h = m;
    }
  };
  for (let h = (size >> 1) - 1; h >= 0; h--) down(h);
  for (let o = 0; o < n; o++) {
    const r = heap[0];
    const i = pos[r]++;
    t[o] = times[i];
    u[o] = unitIndex[i];
    if (pos[r] >= end[r]) heap[0] = heap[--size];
    down(0);
  }
  return [t, u];
}

/**
 * How many units carry each label (`unlabeled` for units without one). A Map, so labels
 * such as `constructor` or `__proto__` count like any other; turn it into an object with
 * `Object.fromEntries` (which defines own properties) for JSON.
 */
export function labelCounts(st: SpikeTrains): Map<string, number> | undefined {
  if (!st.labels) return undefined;
  const counts = new Map<string, number>();
  for (const id of st.unitIds) {
    const l = st.labels.get(id) ?? 'unlabeled';
    counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  return counts;
}

/** Keeps only units whose label is in `keep`; unlabeled units are dropped. */
export function filterByLabels(st: SpikeTrains, keep: string[], file: string): SpikeTrains {
  if (!st.labels) {
    throw new InputError(
      file,
      'labels',
      `no curation labels found; cannot keep ${keep.join(', ')}`,
    );
  }
  const wanted = new Set(keep);
  const keepOld = Array.from(st.unitIds, (id) => wanted.has(st.labels!.get(id) ?? ''));
  const newIndex = new Int32Array(st.unitIds.length).fill(-1);
  const ids: number[] = [];
  keepOld.forEach((k, i) => {
    if (k) {
      newIndex[i] = ids.length;
      ids.push(st.unitIds[i]);
    }
  });
  let n = 0;
  for (let i = 0; i < st.times.length; i++) if (keepOld[st.unitIndex[i]]) n++;
  const times = new Float64Array(n);
  const unitIndex = new Int32Array(n);
  for (let i = 0, j = 0; i < st.times.length; i++) {
    const k = newIndex[st.unitIndex[i]];
    if (k >= 0) {
      times[j] = st.times[i];
      unitIndex[j++] = k;
    }
  }
  return { ...st, unitIds: Int32Array.from(ids), times, unitIndex };
}

/** Spike times of one unit (by position in `unitIds`). */
export function unitTimes(st: SpikeTrains, k: number): Float64Array {
  let n = 0;
  for (let i = 0; i < st.unitIndex.length; i++) if (st.unitIndex[i] === k) n++;
  const out = new Float64Array(n);
  for (let i = 0, j = 0; i < st.unitIndex.length; i++)
    if (st.unitIndex[i] === k) out[j++] = st.times[i];
  return out;
}
