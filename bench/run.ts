/**
 * `npm run bench`: every benchmark section, each next to its reference measured in the same
 * run. `npm run bench -- engine` runs one section.
 */
import { engineInfo } from '../src/engine/index.js';
import { benchEngine } from './engine.js';
import { benchSpikeModel } from './spikes-model.js';
import { benchSpikesIo } from './spikes-io.js';
import { benchCellsModel } from './cells-model.js';
import { benchSimNetwork } from './sim-network.js';
import { printTable, type BenchRow } from './harness.js';

const sections: Record<string, () => Promise<BenchRow[]>> = {
  engine: () => benchEngine(),
  'spikes-io': () => benchSpikesIo(),
  'spikes-model': () => benchSpikeModel(),
  'cells-model': () => benchCellsModel(),
  'sim-network': async () => benchSimNetwork(),
};

const wanted = process.argv.slice(2);
const info = engineInfo();
console.log(
  `neurobridge bench — libtorch ${info.torchVersion}, ${info.threads} threads, BLAS ${info.blasLibraries.map((p) => p.split('/').pop()).join(', ')}`,
);
for (const [name, run] of Object.entries(sections)) {
  if (wanted.length && !wanted.includes(name)) continue;
  printTable(name, await run());
}
