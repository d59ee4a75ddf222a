/**
 * Mouse–human ortholog tables (`mouse_gene`, `human_gene` columns, e.g. exported from
 * Ensembl BioMart or MGI/HGNC). Only one-to-one pairs are kept: a gene with several partners
 * has no unambiguous token in a unified vocabulary. What was dropped is counted.
 */
import { columnIndex, readDelimited } from '../../../io/table.js';
import { expectFile } from '../../../io/h5.js';

export interface Orthologs {
  mouseToHuman: Map<string, string>;
  humanToMouse: Map<string, string>;
  /** Pairs dropped because a gene had more than one partner. */
  dropped: { oneToMany: number; manyToOne: number };
  /** Every mouse symbol of the table, kept or dropped (e.g. for restoring their case). */
  mouseSymbols: Set<string>;
}

export function orthologsFromPairs(pairs: [mouse: string, human: string][]): Orthologs {
  const unique = [...new Map(pairs.map(([m, h]) => [`${m}\t${h}`, [m, h] as const])).values()];
  const mouseCount = new Map<string, number>();
  const humanCount = new Map<string, number>();
  for (const [m, h] of unique) {
    mouseCount.set(m, (mouseCount.get(m) ?? 0) + 1);
    humanCount.set(h, (humanCount.get(h) ?? 0) + 1);
  }
  const o: Orthologs = {
    mouseToHuman: new Map(),
    humanToMouse: new Map(),
    dropped: { oneToMany: 0, manyToOne: 0 },
    mouseSymbols: new Set(mouseCount.keys()),
  };
  for (const [m, h] of unique) {
    if (mouseCount.get(m)! > 1) o.dropped.oneToMany++;
    else if (humanCount.get(h)! > 1) o.dropped.manyToOne++;
    else {
      o.mouseToHuman.set(m, h);
      o.humanToMouse.set(h, m);
    }
  }
  return o;
}

export function readOrthologs(path: string): Orthologs {
  expectFile(path, 'an ortholog table (CSV/TSV)');
  const t = readDelimited(path);
  const m = columnIndex(t, 'mouse_gene');
  const h = columnIndex(t, 'human_gene');
  return orthologsFromPairs(
    t.rows.filter((r) => r[m]?.trim() && r[h]?.trim()).map((r) => [r[m].trim(), r[h].trim()]),
  );
}
