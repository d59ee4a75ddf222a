import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import test from 'node:test';

const root = new URL('../../../', import.meta.url); // dist/test/core → the package root
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};

test("the package's bin starts as a program, as npx starts it (shebang and executable bit)", () => {
  // Executed directly, not through `node`: a build that loses the x bit fails here with EACCES.
  const bin = new URL(pkg.bin.neurobridge, root).pathname;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  assert.equal(r.error, undefined, String(r.error));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), pkg.version);
});
