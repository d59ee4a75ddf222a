import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeOutputSet } from '../../src/core/atomic.js';
import { InputError, UsageError } from '../../src/core/errors.js';
import { readJsonFile, readJsonIfComplete } from '../../src/core/json.js';

const root = new URL('../../../', import.meta.url).pathname;

test('writeOutputSet: a failure leaves nothing; a success moves every entry into place', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-output-set-'));
  const out = join(dir, 'out');
  await assert.rejects(
    writeOutputSet(out, (staging) => {
      writeFileAtomic(join(staging, 'vocabulary.json'), '{}');
      writeFileAtomic(join(staging, 'a.tokens.npy'), 'x');
      throw new Error('second corpus failed');
    }),
    /second corpus failed/,
  );
  assert.equal(existsSync(out), false, 'the folder this call created is removed again');
  // An existing folder keeps what it had (and nothing of the failed run).
  mkdirSync(join(out, 'cache'), { recursive: true });
  writeFileSync(join(out, 'index.json'), 'old');
  writeFileSync(join(out, 'cache', 'k1.json'), 'old entry');
  await assert.rejects(
    writeOutputSet(out, (staging) => {
      writeFileAtomic(join(staging, 'cache', 'k2.json'), 'new entry');
      throw new Error('boom');
    }),
  );
  assert.deepEqual(readdirSync(out).sort(), ['cache', 'index.json']);
  assert.deepEqual(readdirSync(join(out, 'cache')), ['k1.json']);
  const r = await writeOutputSet(out, (staging) => {
    writeFileAtomic(join(staging, 'cache', 'k2.json'), 'new entry');
    writeFileAtomic(join(staging, 'index.json'), 'new');
    return 7;
  });
  assert.equal(r, 7);
  assert.deepEqual(readdirSync(join(out, 'cache')).sort(), ['k1.json', 'k2.json']);
  assert.equal(readFileSync(join(out, 'index.json'), 'utf8'), 'new');
  assert.deepEqual(readdirSync(out).sort(), ['cache', 'index.json'], 'no staging folder left');
});

test('writeOutputSet: staging folders of killed runs are removed; a file named like the folder is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-output-set-'));
  // A pid that is not running: the largest allowed is far above what is in use.
  mkdirSync(join(dir, '.staging-4194000.1'), { recursive: true });
  await writeOutputSet(dir, (s) => writeFileAtomic(join(s, 'a'), 'a'));
  assert.deepEqual(readdirSync(dir), ['a']);
  await assert.rejects(
    writeOutputSet(join(dir, 'a'), () => {}),
    (e: Error) => e instanceof UsageError && /a: exists and is not a folder/.test(e.message),
  );
});

test('readJsonFile: a truncated or empty file is an InputError naming the file and what it should be', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-json-'));
  const f = join(dir, 'groups.json');
  writeFileSync(f, '{"a": [1, 2');
  assert.throws(
    () => readJsonFile(f, 'a grouping file'),
    (e: Error) =>
      e instanceof InputError &&
      e.message.startsWith(`${f}: not valid JSON (`) &&
      e.message.endsWith('expected a grouping file') &&
      !e.message.includes('\n'),
  );
  writeFileSync(f, '');
  assert.throws(() => readJsonFile(f, 'x'), /the file is empty/);
  assert.throws(
    () => readJsonFile(join(dir, 'none.json'), 'a run'),
    /none\.json: missing: expected a run/,
  );
  assert.equal(readJsonIfComplete(f), undefined);
  assert.equal(readJsonIfComplete(join(dir, 'none.json')), undefined);
  writeFileSync(f, '{"a": 1}');
  assert.deepEqual(readJsonIfComplete(f), { a: 1 });
});

test('installing the package does not build the addon (no implicit node-gyp rebuild)', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    gypfile?: boolean;
    scripts: Record<string, string>;
  };
  // With a binding.gyp and no install script, npm runs `node-gyp rebuild` on every install
  // (npm ci, npx): "gypfile": false turns that off; the addon is built by bootstrap.sh.
  assert.equal(pkg.gypfile, false);
  for (const s of ['preinstall', 'install', 'postinstall', 'prepare'])
    assert.ok(!/node-gyp/.test(pkg.scripts[s] ?? ''), `${s} builds the addon`);
});

test('bootstrap steps: one line each; a failing step prints the tail of the log and stops', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-steps-'));
  const log = join(dir, 'b.log');
  const script = `source ${join(root, 'scripts', 'steps.sh')}
step "quiet step" bash -c 'for i in $(seq 100); do echo chatter $i; done'
step "failing step" bash -c 'echo compiling; echo "fatal error: torch.h" >&2; exit 3'
step "never run" true`;
  let stdout = '';
  let stderr = '';
  let status = 0;
  try {
    execFileSync('bash', ['-c', script], {
      env: { ...process.env, NB_LOG: log },
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (e) {
    ({ stdout, stderr, status } = e as { stdout: string; stderr: string; status: number });
  }
  assert.equal(status, 3);
  assert.match(stdout, /^quiet step \.\.\. ok \(\d+ s\)\nfailing step \.\.\. FAILED \(exit 3\)\n$/);
  assert.match(stderr, /fatal error: torch\.h/);
  assert.doesNotMatch(stdout + stderr, /never run/);
  assert.match(readFileSync(log, 'utf8'), /chatter 100/);
});

test('writeOutputSet: `replaces` removes the entries of the set this run did not write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-output-set-'));
  for (const f of ['vocabulary.json', 'a.tokens.npy', 'b.tokens.npy', 'notes.txt'])
    writeFileSync(join(dir, f), 'old');
  const replaces = (f: string) => f === 'vocabulary.json' || f.endsWith('.tokens.npy');
  await assert.rejects(writeOutputSet(dir, () => Promise.reject(new Error('x')), { replaces }));
  assert.equal(readdirSync(dir).length, 4, 'a failed run removes nothing');
  await writeOutputSet(
    dir,
    (s) => {
      writeFileAtomic(join(s, 'vocabulary.json'), 'new');
      writeFileAtomic(join(s, 'a.tokens.npy'), 'new');
    },
    { replaces },
  );
  assert.deepEqual(readdirSync(dir).sort(), ['a.tokens.npy', 'notes.txt', 'vocabulary.json']);
});
