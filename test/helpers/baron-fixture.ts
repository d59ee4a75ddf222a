/**
 * The Baron subset fixture (test/fixtures/cells/baron-subset, real CIDER cells) read as plain
 * text, independently of the project's readers: tests compare the readers' results with these.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const baronFixture = new URL('../../../test/fixtures/cells/baron-subset/', import.meta.url)
  .pathname;

/** The non-empty lines of one of the fixture's files. */
export const baronLines = (file: string): string[] =>
  readFileSync(join(baronFixture, file), 'utf8').trim().split('\n');

/** Gene symbols in matrix order (genes.tsv, second column). */
export const baronGenes = (): string[] => baronLines('genes.tsv').map((l) => l.split('\t')[1]);

/** The genes with a count in at least one cell of each species (matrix.mtx and cells.csv). */
export function baronExpressedBySpecies(): { mouse: Set<string>; human: Set<string> } {
  const genes = baronGenes();
  const species = baronLines('cells.csv')
    .slice(1)
    .map((l) => l.split(',')[2] as 'mouse' | 'human');
  const seen = { mouse: new Set<string>(), human: new Set<string>() };
  for (const line of baronLines('matrix.mtx')
    .filter((l) => !l.startsWith('%'))
    .slice(1)) {
    const [gene, cell, count] = line.split(/\s+/).map(Number);
    if (count > 0) seen[species[cell - 1]].add(genes[gene - 1]);
  }
  return seen;
}
