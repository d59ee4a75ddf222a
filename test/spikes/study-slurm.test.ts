// `spikes study --executor slurm` against a real Slurm (scripts/slurm-local.sh starts a
// one-node cluster; the README's test command does so on a clean machine). Skipped, with a
// message, where no Slurm answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runStudy } from '../../src/pipelines/spikes/study/study.js';
import { StudyCells } from '../../src/pipelines/spikes/study/study-cells.js';
import { studyStatus } from '../../src/pipelines/spikes/study/study-slurm.js';
import { committedEpochs } from '../../src/pipelines/spikes/model/train.js';
import { twoSessionStudy } from '../helpers/two-sessions.js';
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
    const dir = twoSessionStudy('nb-slurm-');
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
  'a cancelled job is resubmitted by re-running the command, resumes from its checkpoint, and no cell is lost or written twice',
  { skip },
  async () => {
    const dir = twoSessionStudy('nb-slurm-');
    const out = join(dir, 'study');
    // The job training on `a` holds at the end of its first epoch (a test-only fault hook), so
    // the cancel lands mid-training at a known checkpoint; the job on `b` finishes.
    await run(process.execPath, [...studyArgs(dir, 'study', 3), '--detach'], {
      env: {
        ...process.env,
        NEUROBRIDGE_TEST_HOLD_AFTER_EPOCHS: '1',
        NEUROBRIDGE_TEST_HOLD_SOURCE: 'a',
      },
    });
    const first = Object.fromEntries(jobIds(out).map((u) => [u.source, u.ids[0]]));
    assert.deepEqual(Object.keys(first).sort(), ['a', 'b']);
    const log = (id: string) => {
      const file = join(out, 'slurm', 'logs', `tiny-dice__a-${id}.log`);
      return existsSync(file) ? readFileSync(file, 'utf8') : '';
    };
    await until('the job on a to hold after epoch 1', () =>
      log(first.a).includes('holding at the end of epoch 1'),
    );
    cancelJobs([first.a]);
    await until('both first jobs to leave the queue', () =>
      [...jobStatuses([first.a, first.b]).values()].every(
        (s) => s.phase !== 'queued' && s.phase !== 'running',
      ),
    );
    const ended = jobStatuses([first.a, first.b]);
    assert.match(ended.get(first.a)!.state, /^CANCELLED/);
    assert.equal(ended.get(first.b)!.state, 'COMPLETED');
    const modelA = readdirSync(join(out, 'models')).find((m) => m.startsWith('a-'))!;
    assert.equal(committedEpochs(join(out, 'models', modelA)), 1);
    const before = studyStatus(out).units;
    assert.deepEqual(
      before.map((u) => [u.source, u.cellsDone, u.claimedBy !== null]),
      [
        ['a', 0, false],
        ['b', 2, false],
      ],
      'b stored both its cells; a none, and no live job holds it',
    );

    const { stdout, stderr } = await run(process.execPath, studyArgs(dir, 'study', 3));
    assert.match(stdout, /submitted 1 job\(s\)/, 'only the missing model is resubmitted');
    assert.match(stderr, /ended CANCELLED before storing its cells .*resubmitted/);
    const secondA = jobIds(out).find((u) => u.source === 'a')!.ids[1];
    assert.match(log(secondA), /resuming training on a \(tiny:dice\) after epoch 1/);
    const written = readFileSync(join(out, 'cells', 'written.log'), 'utf8')
      .trim()
      .split('\n');
    assert.deepEqual(
      written.map((l) => [l.split(' ')[2], l.split(' ')[3]]).sort(),
      [
        ['tiny-dice/a__a', `slurm:${secondA}`],
        ['tiny-dice/a__b', `slurm:${secondA}`],
        ['tiny-dice/b__a', `slurm:${first.b}`],
        ['tiny-dice/b__b', `slurm:${first.b}`],
      ],
      "every cell written once: a's by the resubmitted job, b's by its first job",
    );
    assert.deepEqual(readdirSync(join(out, 'claims')), [], 'claims are released');
    assert.equal(new StudyCells(out).readSummary().complete, true);
  },
);
