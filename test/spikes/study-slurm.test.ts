// `spikes study --executor slurm` against a real Slurm (scripts/slurm-local.sh starts a
// one-node cluster; the README's test command does so on a clean machine). Skipped, with a
// message, where no Slurm answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runStudy } from '../../src/pipelines/spikes/study.js';
import { StudyCells } from '../../src/pipelines/spikes/study-cells.js';
import { studyStatus } from '../../src/pipelines/spikes/study-slurm.js';
import { committedEpochs } from '../../src/pipelines/spikes/train.js';
import {
  accountedJobNames,
  cancelJobs,
  jobStatuses,
  slurmAvailable,
} from '../../src/cluster/slurm.js';

const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
const run = promisify(execFile);
const skip = slurmAvailable()
  ? false
  : 'no Slurm answers here: start one with `bash scripts/slurm-local.sh start` (as root)';
if (skip && process.env.NEUROBRIDGE_REQUIRE_SLURM)
  test('Slurm is required here (NEUROBRIDGE_REQUIRE_SLURM) and answers', () => assert.fail(skip));

function twoSessions(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nb-slurm-'));
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

const studyArgs = (dir: string, out: string, epochs: number) => [
  cli,
  'spikes',
  'study',
  join(dir, 'study.yaml'),
  '--out',
  join(dir, out),
  '--models',
  'tiny:dice',
  '--max-epochs',
  String(epochs),
  '--executor',
  'slurm',
  '--poll-seconds',
  '1',
];

const jobIds = (out: string) =>
  Object.values(
    JSON.parse(readFileSync(join(out, 'slurm', 'jobs.json'), 'utf8')).units as Record<
      string,
      { source: string; jobs: { id: string }[] }
    >,
  ).map((u) => ({ source: u.source, ids: u.jobs.map((j) => j.id) }));

async function until(what: string, check: () => boolean, seconds = 300): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test(
  'a 2 × 2 study through Slurm gives the local matrix, and its jobs are in accounting',
  { skip },
  async () => {
    const dir = twoSessions();
    const local = await runStudy({
      manifest: join(dir, 'study.yaml'),
      out: join(dir, 'local'),
      preset: 'tiny',
      losses: ['dice'],
      seed: 0,
      maxEpochs: 1,
      codeVersion: 'test',
    });
    const { stdout } = await run(process.execPath, studyArgs(dir, 'slurm', 1));
    assert.match(stdout, /submitted 2 job\(s\)/);
    const out = join(dir, 'slurm');
    const slurm = new StudyCells(out).readSummary();
    assert.equal(slurm.complete, true);
    // The same cells up to the thread count's rounding (jobs run libtorch on 1 CPU).
    const a = local.losses.dice.rocAuc.flat();
    const b = slurm.losses['tiny:dice'].rocAuc.flat();
    assert.equal(b.length, 4);
    b.forEach((v, k) => assert.ok(Math.abs(v - a[k]) < 1e-3, `cell ${k}: ${v} vs local ${a[k]}`));
    assert.ok(existsSync(join(out, 'report.html')));
    const jobs = jobIds(out).flatMap((u) => u.ids);
    const names = accountedJobNames(jobs);
    assert.deepEqual(
      [...names.values()].sort(),
      ['nb-slurm-a-tiny-dice', 'nb-slurm-b-tiny-dice'],
      'both jobs are recorded by Slurm accounting under names that say study and source',
    );
    for (const s of jobStatuses(jobs).values()) assert.equal(s.state, 'COMPLETED');
    const status = studyStatus(out);
    assert.equal(status.summarised, true);
    assert.ok(status.units.every((u) => u.cellsDone === 2 && u.claimedBy === null));
    // Re-running a finished study collects it and submits nothing.
    const again = await run(process.execPath, studyArgs(dir, 'slurm', 1));
    assert.doesNotMatch(again.stdout, /submitted/);
    assert.equal(jobIds(out).flatMap((u) => u.ids).length, 2);
  },
);

test(
  'cancelled jobs are resubmitted by re-running the command, resume from their checkpoints, and no cell is lost or written twice',
  { skip },
  async () => {
    const dir = twoSessions();
    const out = join(dir, 'study');
    // Each job holds at the end of its first epoch (a test-only fault hook), so the cancel
    // lands mid-training at a known checkpoint.
    await run(process.execPath, [...studyArgs(dir, 'study', 3), '--detach'], {
      env: { ...process.env, NEUROBRIDGE_TEST_HOLD_AFTER_EPOCHS: '1' },
    });
    const first = jobIds(out).flatMap((u) => u.ids);
    assert.equal(first.length, 2);
    const logs = () =>
      readdirSync(join(out, 'slurm', 'logs')).map((f) =>
        readFileSync(join(out, 'slurm', 'logs', f), 'utf8'),
      );
    await until('both jobs to hold after epoch 1', () =>
      existsSync(join(out, 'slurm', 'logs'))
        ? logs().filter((l) => l.includes('holding at the end of epoch 1')).length === 2
        : false,
    );
    cancelJobs(first);
    await until('the cancelled jobs to leave the queue', () =>
      [...jobStatuses(first).values()].every((s) => s.phase !== 'queued' && s.phase !== 'running'),
    );
    for (const s of jobStatuses(first).values()) assert.match(s.state, /^CANCELLED/);
    const models = readdirSync(join(out, 'models'));
    assert.equal(models.length, 2);
    for (const m of models) assert.equal(committedEpochs(join(out, 'models', m)), 1);
    assert.equal(
      studyStatus(out).units.reduce((n, u) => n + u.cellsDone, 0),
      0,
    );

    const { stdout, stderr } = await run(process.execPath, studyArgs(dir, 'study', 3));
    assert.match(stdout, /submitted 2 job\(s\)/);
    assert.match(stderr, /ended CANCELLED before storing its cells .*resubmitted/);
    const second = jobIds(out).flatMap((u) => u.ids.slice(1));
    assert.equal(second.length, 2);
    assert.equal(
      logs().filter((l) => /resuming training on [ab] \(tiny:dice\) after epoch 1/.test(l)).length,
      2,
      'both resubmitted jobs resume from the epoch-1 checkpoint',
    );
    const written = readFileSync(join(out, 'cells', 'written.log'), 'utf8')
      .trim()
      .split('\n');
    const cells = written.map((l) => l.split(' ')[2]).sort();
    assert.deepEqual(cells, [
      'tiny-dice/a__a',
      'tiny-dice/a__b',
      'tiny-dice/b__a',
      'tiny-dice/b__b',
    ]);
    assert.ok(
      written.every((l) => second.some((id) => l.endsWith(`slurm:${id}`))),
      'every cell was written once, by a resubmitted job',
    );
    assert.deepEqual(readdirSync(join(out, 'claims')), [], 'claims are released');
    assert.equal(new StudyCells(out).readSummary().complete, true);
  },
);
