import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { importCycles, runtimeGraph, sourceFiles, srcDir } from '../helpers/import-graph.js';

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

const src = srcDir;

/** Every link of a file: imports (type-only too), re-exports, `new URL('…', import.meta.url)`. */
const LINKS = [
  /(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g,
  /new URL\(\s*'(\.{1,2}\/[^']*)',\s*import\.meta\.url\s*\)/g,
];

test('imports and URLs point downward through the layers, and no pipeline imports another', () => {
  const problems: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = relative(src, file).split('/');
    const text = readFileSync(file, 'utf8');
    for (const m of LINKS.flatMap((re) => [...text.matchAll(re)])) {
      const to = relative(src, resolve(dirname(file), m[1])).split('/');
      if (to.length < 2) continue; // src/index.ts and friends
      const a = LAYERS.indexOf(from[0]);
      const b = LAYERS.indexOf(to[0]);
      if (a < 0 || b < 0 || a === b) {
        if (from[0] === 'pipelines' && to[0] === 'pipelines' && from.length > 2 && to.length > 2)
          if (from[1] !== to[1]) problems.push(`${from.join('/')} imports ${to.join('/')}`);
        continue;
      }
      if (b < a) problems.push(`${from.join('/')} links to ${to.join('/')}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the layer check sees worker entries started through new URL(…, import.meta.url)', () => {
  const cli = resolve(src, 'cli/spikes-study.ts');
  const text = readFileSync(cli, 'utf8');
  const urls = [...text.matchAll(LINKS[1])].map((m) => relative(src, resolve(dirname(cli), m[1])));
  assert.ok(urls.includes('workers/spikes-study.js'), urls.join(', '));
});

test('no import cycle among the src files (type-only imports aside)', () => {
  const graph = runtimeGraph(src);
  assert.ok(graph.size > 100);
  assert.deepEqual(importCycles(graph), []);
});
