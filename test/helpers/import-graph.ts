// The import graph of src/ read from the TypeScript sources: what each file links to by
// static or dynamic import, re-export, or `new URL('…', import.meta.url)` (worker and
// child-process entries), and the cycles among them. Shared by the layering and io tests.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** src/ of the repository (the tests run from dist/test/…). */
export const srcDir = resolve(new URL('../../../src', import.meta.url).pathname);

/** Every .ts file under `dir`. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const RUNTIME = [
  /^\s*(?:import|export)\s+(?!type\b)[^'";]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gm,
  /^\s*import\s+'(\.{1,2}\/[^']+)'/gm,
  /\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g,
];
const TYPE_ONLY = /^\s*(?:import|export)\s+type\b[^'";]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gm;
const URL_LINK = /new URL\(\s*'(\.{1,2}\/[^']*)',\s*import\.meta\.url\s*\)/g;

/**
 * The files (absolute .ts paths) `file` links to; type-only imports only when `types`.
 * A `new URL` link to a folder ('../x/') stays a folder path.
 */
export function linksOf(file: string, o: { types: boolean }): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const re of [...RUNTIME, URL_LINK, ...(o.types ? [TYPE_ONLY] : [])])
    for (const m of text.matchAll(re))
      out.push(resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
  return out;
}

/** Runtime links of every file under `dir` (type-only imports left out). */
export function runtimeGraph(dir: string): Map<string, string[]> {
  return new Map(sourceFiles(dir).map((f) => [f, linksOf(f, { types: false })]));
}

/** Each cycle of the graph found by a depth-first walk, as `a.ts → b.ts → a.ts` under `root`. */
export function importCycles(graph: Map<string, string[]>, root = srcDir): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (!graph.has(g)) continue;
      if (state.get(g) === 'open')
        cycles.push(
          [...stack.slice(stack.indexOf(g)), g].map((x) => relative(root, x)).join(' → '),
        );
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return cycles;
}
