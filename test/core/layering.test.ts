import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// The README's layout, top to bottom: a module may import only from its own layer or below.
const LAYERS = [
  'cli',
  'commands',
  'workers',
  'report',
  'pipelines',
  'models',
  'engine',
  'cluster', // Slurm's commands, claim holders
  'sim', // simulators write real formats through io
  'io',
  'stats',
  'core',
];

const src = resolve(new URL('../../../src', import.meta.url).pathname);
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('imports point downward through the layers, and no pipeline imports another', () => {
  const problems: string[] = [];
  for (const file of files(src)) {
    const from = relative(src, file).split('/');
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
      const to = relative(src, resolve(dirname(file), m[1])).split('/');
      if (to.length < 2) continue; // src/index.ts and friends
      const a = LAYERS.indexOf(from[0]);
      const b = LAYERS.indexOf(to[0]);
      if (a < 0 || b < 0 || a === b) {
        if (from[0] === 'pipelines' && to[0] === 'pipelines' && from.length > 2 && to.length > 2)
          if (from[1] !== to[1]) problems.push(`${from.join('/')} imports ${to.join('/')}`);
        continue;
      }
      if (b < a) problems.push(`${from.join('/')} imports ${to.join('/')}`);
    }
  }
  assert.deepEqual(problems, []);
});
