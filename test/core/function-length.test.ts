// No function in src/ is longer than 150 lines (declarations, methods, arrows and function
// expressions alike, counted from the first line of the function to its last): a long body
// is cut into named steps. Read with the TypeScript compiler's parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import ts from 'typescript';
import { sourceFiles, srcDir } from '../helpers/import-graph.js';

const MAX_LINES = 150;

/** Functions of a source text longer than `max` lines: `name (first line): N lines`. */
function longFunctions(file: string, text: string, max = MAX_LINES): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = lineOf(node.getStart(source));
      const lines = lineOf(node.getEnd()) - first + 1;
      if (lines > max) {
        const name = node.name?.getText(source) ?? '(anonymous)';
        found.push(`${file}: ${name} (line ${first}): ${lines} lines`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('the length check finds a long function, an arrow included', () => {
  const body = Array.from({ length: 10 }, (_, k) => `  const a${k} = ${k};`).join('\n');
  const text = `function long() {\n${body}\n}\nconst short = () => 1;\nconst arrow = () => {\n${body}\n};\n`;
  assert.deepEqual(longFunctions('x.ts', text, 10), [
    'x.ts: long (line 1): 12 lines',
    'x.ts: (anonymous) (line 14): 12 lines',
  ]);
});

test(`no function in src/ is longer than ${MAX_LINES} lines`, () => {
  const found = sourceFiles(srcDir).flatMap((f) =>
    longFunctions(relative(srcDir, f), readFileSync(f, 'utf8')),
  );
  assert.deepEqual(found, []);
});
