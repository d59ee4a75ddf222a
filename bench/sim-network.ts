/**
 * Spiking-network simulator benchmark: one 240 s session of the 1,000-neuron E/I LIF
 * network per regime (src/sim/network.ts), single-threaded, pure TypeScript.
 *
 * `node dist/bench/sim-network.js [durationS] [neurons]` runs it alone; `benchSimNetwork()`
 * is for the bench runner.
 */
import { pathToFileURL } from 'node:url';
import { runNetwork, type NetworkRegime } from '../src/sim/network.js';
import type { BenchRow } from './harness.js';

export function benchSimNetwork(durationS = 240, neurons = 1000): BenchRow[] {
  return (['in_vitro', 'in_vivo'] as NetworkRegime[]).map((regime) => {
    const t0 = performance.now();
    const run = runNetwork({ regime, durationS, seed: 1, neurons });
    const ms = performance.now() - t0;
    const rate = run.totalSpikes / neurons / durationS;
    return {
      name: `simulate network ${durationS} s × ${neurons} (${regime})`,
      oursMs: ms,
      note: `${run.totalSpikes} spikes (${rate.toFixed(2)} Hz/neuron), ${((durationS * 1000) / ms).toFixed(1)}× real time`,
    };
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = benchSimNetwork(
    process.argv[2] ? Number(process.argv[2]) : undefined,
    process.argv[3] ? Number(process.argv[3]) : undefined,
  );
  for (const r of rows)
    console.log(`${r.name.padEnd(48)} ${r.oursMs.toFixed(0).padStart(8)} ms  ${r.note ?? ''}`);
}
