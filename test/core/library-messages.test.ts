// Library code words its messages in the fields of its options ("option `raw`"), never in
// command-line flags ("--raw"): library users call functions. src/cli/flags.ts maps the
// fields to flags when the CLI prints a message. Read with the TypeScript compiler's parser,
// so only string and template literals count (comments may name flags).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import ts from 'typescript';
import { sourceFiles, srcDir } from '../helpers/import-graph.js';
import { withFlags } from '../../src/cli/flags.js';

/** Flags of other programs a library file legitimately spells out (sbatch, node, shell tools). */
const OTHER_PROGRAMS: Record<string, string[]> = {
  'cluster/batch-script.ts': [
    '--job-name',
    '--output',
    '--chdir',
    '--ntasks',
    '--cpus-per-task',
    '--partition',
    '--time',
    '--mem',
    '--gpus',
  ],
  'cluster/slurm.ts': ['--parsable'],
  'engine/native.ts': ['--set'],
  'io/h5.ts': ['--as', '--disable-wasm-trap-handler'],
};

/** `file (line): --flag` for every flag-like word in a string or template literal of `text`. */
function flagsInLiterals(file: string, text: string, allowed: string[] = []): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    const parts =
      ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)
        ? [node.text]
        : ts.isTemplateExpression(node)
          ? [node.head.text, ...node.templateSpans.map((s) => s.literal.text)]
          : [];
    for (const part of parts)
      for (const m of part.matchAll(/(?:^|[^\w-])(--[a-z][\w-]*)/g))
        if (!allowed.includes(m[1])) {
          const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
          found.push(`${file} (${line}): ${m[1]}`);
        }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('the flag scan finds a flag in a string and a template, not in a comment', () => {
  const text = [
    '// use --raw here',
    "const a = 'use --raw or --layer NAME';",
    'const b = `x ${a} then --chunk-cells`;',
    "const c = 'a - b -- c, x--y';",
  ].join('\n');
  assert.deepEqual(flagsInLiterals('x.ts', text), [
    'x.ts (2): --raw',
    'x.ts (2): --layer',
    'x.ts (3): --chunk-cells',
  ]);
});

test('no library message names a command-line flag (src/cli and src/commands aside)', () => {
  const found = sourceFiles(srcDir).flatMap((f) => {
    const file = relative(srcDir, f);
    if (/^(cli|commands)\//.test(file)) return [];
    return flagsInLiterals(file, readFileSync(f, 'utf8'), OTHER_PROGRAMS[file]);
  });
  assert.deepEqual(found, []);
});

test('the CLI maps option fields to flags, cohort keys and --executor slurm', () => {
  assert.equal(
    withFlags('option `raw` and option `layer`: choose one'),
    '--raw and --layer: choose one',
  );
  assert.equal(
    withFlags("unknown class 'X' (map it with option `classMap`, or option `dropUnknown`)"),
    "unknown class 'X' (map it with cohort key `class_map`, or cohort key `drop_unknown`)",
  );
  assert.equal(
    withFlags('sinfo not found: option `slurm` needs Slurm'),
    'sinfo not found: --executor slurm needs Slurm',
  );
  assert.equal(withFlags('TIMEOUT (raise option `time`)'), 'TIMEOUT (raise --time)');
  // A field the CLI has no flag for stays named as a field.
  assert.equal(withFlags('option `notAFlag`'), 'option `notAFlag`');
});
