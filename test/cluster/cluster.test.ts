import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchScript } from '../../src/cluster/batch-script.js';
import { currentHolder, holderAlive } from '../../src/cluster/holder.js';
import { folderSharing } from '../../src/cluster/shared-folder.js';
import { describeEnd, phaseOf } from '../../src/cluster/slurm.js';
import { withFlags } from '../../src/cli/flags.js';
import { StudyCells } from '../../src/pipelines/spikes/study/study-cells.js';
import { loadManifest } from '../../src/pipelines/spikes/data/manifest.js';
import { writeFileSync } from 'node:fs';

test("Slurm's states map to the phases a study acts on", () => {
  assert.equal(phaseOf('PENDING'), 'queued');
  assert.equal(phaseOf('RUNNING'), 'running');
  assert.equal(phaseOf('COMPLETED'), 'completed');
  for (const s of ['FAILED', 'TIMEOUT', 'CANCELLED by 0', 'NODE_FAIL', 'OUT_OF_MEMORY'])
    assert.equal(phaseOf(s), 'failed', s);
  const end = (state: string, exitCode: string) =>
    describeEnd({ id: '1', state, phase: phaseOf(state), exitCode });
  assert.match(end('FAILED', '0:9'), /signal 9.*out-of-memory.*option `mem`/);
  assert.match(end('TIMEOUT', '0:15'), /raise option `time`/);
  assert.equal(end('FAILED', '1:0'), 'FAILED (exit code 1)');
  assert.equal(end('CANCELLED by 0', '0:15'), 'CANCELLED by 0');
});

test('the CLI prints the advice of a job end with the flags that set the resources', () => {
  const end = (state: string, exitCode: string) =>
    withFlags(describeEnd({ id: '1', state, phase: phaseOf(state), exitCode }));
  assert.equal(end('TIMEOUT', '0:15'), 'TIMEOUT (raise --time; a resubmitted job resumes)');
  assert.equal(end('OUT_OF_MEMORY', '0:9'), 'OUT_OF_MEMORY (raise --mem)');
});

test('a batch script carries the resources, the log and a quoted command', () => {
  const script = batchScript({
    name: 'nb-study-a-default',
    log: '/shared/s/slurm/logs/a-%j.log',
    workDir: '/shared/s',
    resources: {
      partition: 'cpu',
      time: '2:00:00',
      cpus: 4,
      mem: '8G',
      gpus: 'a100:1',
      extra: ['--account=lab'],
    },
    env: {},
    command: ['/usr/bin/node', '/opt/nb/job.js', "it's.json", 'a', 'paper:dice'],
  });
  const directives = script.split('\n').filter((l) => l.startsWith('#SBATCH'));
  assert.deepEqual(directives, [
    '#SBATCH --job-name=nb-study-a-default',
    '#SBATCH --output=/shared/s/slurm/logs/a-%j.log',
    '#SBATCH --chdir=/shared/s',
    '#SBATCH --ntasks=1',
    '#SBATCH --cpus-per-task=4',
    '#SBATCH --partition=cpu',
    '#SBATCH --time=2:00:00',
    '#SBATCH --mem=8G',
    '#SBATCH --gpus=a100:1',
    '#SBATCH --account=lab',
  ]);
  assert.match(
    script,
    /^exec '\/usr\/bin\/node' '\/opt\/nb\/job.js' 'it'\\''s.json' 'a' 'paper:dice'$/m,
  );
});

test('claims: one holder at a time; a dead holder is taken over; release frees it', () => {
  const store = new StudyCells(mkdtempSync(join(tmpdir(), 'nb-claims-')));
  const me = currentHolder();
  assert.equal(me, `pid:${process.pid}@${hostname()}`);
  assert.equal(store.claim('default', 'a', me, holderAlive), true);
  assert.equal(store.claim('default', 'a', me, holderAlive), true, 'a holder may claim again');
  // Another live process on this host (this one, under another name) keeps it.
  const other = `pid:${process.ppid}@${hostname()}`;
  assert.equal(store.claim('default', 'a', other, holderAlive), false);
  store.release('default', 'a', other);
  assert.equal(store.claimHolder('default', 'a'), me, 'only the holder releases');
  store.release('default', 'a', me);
  assert.equal(store.claimHolder('default', 'a'), null);
  // A claim left by a process that died (no pid 2^22 + 1 exists on Linux) is stale.
  const dead = `pid:${2 ** 22 + 1}@${hostname()}`;
  assert.equal(holderAlive(dead), false);
  assert.equal(store.claim('default', 'b', dead, holderAlive), true);
  assert.equal(store.claim('default', 'b', me, holderAlive), true);
  assert.equal(readFileSync(store.claimFile('default', 'b'), 'utf8'), me);
});

test('the study folder check names the file system', () => {
  const sharing = folderSharing(tmpdir());
  assert.ok(sharing.fileSystem.length > 0);
  assert.notEqual(sharing.shared, true, 'a temporary folder is not on a shared file system here');
});

test("a manifest's cluster: block is validated with the field named", () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-cluster-'));
  const file = join(dir, 'study.yaml');
  writeFileSync(
    file,
    'datasets:\n  - { id: a, domain: x, path: a }\ncluster: { partition: cpu, time: 2:00:00, cpus: 4 }\n',
  );
  assert.deepEqual(loadManifest(file).cluster, { partition: 'cpu', time: '2:00:00', cpus: 4 });
  writeFileSync(file, 'datasets:\n  - { id: a, domain: x, path: a }\ncluster: { mem: lots }\n');
  assert.throws(() => loadManifest(file), /cluster\.mem.*Slurm memory size/);
});
