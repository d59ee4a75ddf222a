/**
 * `neurobridge demo`: a small transfer study on generated sessions, offline, in minutes:
 * two in-vitro-like and two in-vivo-like sessions written in real formats (ALF, Phy, NWB),
 * a manifest, then the N × N study (tiny preset) with its grouped table. The sessions are
 * recorded from the spiking-network simulator (src/sim/network.ts): network-in-vitro
 * (population bursts) and network-in-vivo (asynchronous irregular) regimes.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../core/atomic.js';
import type { SimKind } from '../../../sim/spikes.js';
import { simulateNetwork } from '../../../sim/network.js';
import { writeSpikes } from '../../../io/spikes/writers.js';

export interface DemoSession {
  id: string;
  /** Network regime, also the manifest `domain`. */
  kind: SimKind;
  format: 'alf' | 'phy' | 'nwb';
  seed: number;
}

export const DEMO_SESSIONS: DemoSession[] = [
  { id: 'vitro-1', kind: 'in_vitro', format: 'alf', seed: 11 },
  { id: 'vitro-2', kind: 'in_vitro', format: 'phy', seed: 12 },
  { id: 'vivo-1', kind: 'in_vivo', format: 'nwb', seed: 21 },
  { id: 'vivo-2', kind: 'in_vivo', format: 'alf', seed: 22 },
];

/**
 * Seconds of each session used (from 0) and units kept (the most active): small, so the demo
 * finishes within 5 minutes on 2 cores. The coupled GLM's fit grows with units² × bins: at
 * 128 units and 120 s it alone took about a minute per session.
 */
export const DEMO_WINDOW_S = 60;
export const DEMO_UNITS = 32;

/** Writes the sessions (unless present) and the manifest; returns the manifest path. */
export async function writeDemoData(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const lines = [
    '# neurobridge demo: generated sessions',
    'defaults:',
    `  window: { start_s: 0, length_s: ${DEMO_WINDOW_S} }`,
    `  units: { rule: top-rate, n: ${DEMO_UNITS} }`,
    'datasets:',
  ];
  for (const s of DEMO_SESSIONS) {
    const path = s.format === 'nwb' ? `${s.id}.nwb` : s.id;
    if (!existsSync(join(dir, path))) {
      const trains = simulateNetwork({
        regime: s.kind,
        durationS: DEMO_WINDOW_S + 10,
        seed: s.seed,
      });
      await writeSpikes(s.format, join(dir, path), trains);
    }
    lines.push(`  - { id: ${s.id}, domain: ${s.kind}, path: ${path} }`);
  }
  const manifest = join(dir, 'study.yaml');
  writeFileAtomic(manifest, lines.join('\n') + '\n');
  return manifest;
}
