// Two short simulated sessions (in vitro as ALF, in vivo as Phy) and a 2 × 2 study manifest
// over their first 24 s: the fixture of the study tests, local and on Slurm.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;

/** A new folder holding sessions `a`, `b` and `study.yaml`. */
export function twoSessionStudy(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const sim = (args: string[]) =>
    execFileSync(process.execPath, [cli, 'simulate', 'spikes', ...args], { cwd: dir });
  sim(['--kind', 'in_vitro', '--format', 'alf', '--out', 'a', '--duration', '50', '--seed', '1']);
  sim(['--kind', 'in_vivo', '--format', 'phy', '--out', 'b', '--duration', '50', '--seed', '2']);
  writeFileSync(
    join(dir, 'study.yaml'),
    'defaults:\n  window: { start_s: 0, length_s: 24 }\ndatasets:\n  - { id: a, domain: in_vitro, path: a }\n  - { id: b, domain: in_vivo, path: b }\n',
  );
  return dir;
}
