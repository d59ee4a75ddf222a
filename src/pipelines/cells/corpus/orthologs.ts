/**
 * Mouse–human ortholog tables (`mouse_gene`, `human_gene` columns, e.g. exported from
 * Ensembl BioMart or MGI/HGNC). One-to-one pairs are kept: each gives the two species one
 * shared token. A gene with several partners has no unambiguous token, so by default its
 * pairs are dropped (and counted). With `sumParalogs`, a family whose genes of one species all
 * have the same single partner in the other (mouse Ins1 and Ins2, both orthologous to human
 * INS and to nothing else) shares one token too: the family's counts are added up per cell
 * when the cells are encoded. Families linked to several genes on both sides stay dropped.
 */
import { columnIndex, readDelimited } from '../../../io/table.js';
import { expectFile } from '../../../io/h5.js';

export interface Orthologs {
  mouseToHuman: Map<string, string>;
  humanToMouse: Map<string, string>;
  /** Pairs dropped because a gene had more than one partner (and no summed family took them). */
  dropped: { oneToMany: number; manyToOne: number };
  /** Every mouse symbol of the table, kept or dropped (e.g. for restoring their case). */
  mouseSymbols: Set<string>;
  /**
   * With `sumParalogs`: `species\tgene` → the name of its family's shared token, for every gene
   * of a summed family and its single partner (`mouse\tIns1`, `mouse\tIns2`, `human\tINS` →
   * `human:INS`). Empty otherwise.
   */
  families: Map<string, string>;
}

export interface OrthologOptions {
  /** Give a gene family with one partner in the other species one token (counts summed). */
  sumParalogs?: boolean;
}

export function orthologsFromPairs(
  pairs: [mouse: string, human: string][],
  { sumParalogs = false }: OrthologOptions = {},
): Orthologs {
  const unique = [...new Map(pairs.map(([m, h]) => [`${m}\t${h}`, [m, h] as const])).values()];
  const partners = { mouse: new Map<string, string[]>(), human: new Map<string, string[]>() };
  const add = (map: Map<string, string[]>, key: string, value: string) => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };
  for (const [m, h] of unique) {
    add(partners.mouse, m, h);
    add(partners.human, h, m);
  }
  const o: Orthologs = {
    mouseToHuman: new Map(),
    humanToMouse: new Map(),
    dropped: { oneToMany: 0, manyToOne: 0 },
    mouseSymbols: new Set(partners.mouse.keys()),
    families: new Map(),
  };
  if (sumParalogs) {
    // A family: several genes of one species whose only partner is the same gene.
    const onlyPartner = (map: Map<string, string[]>, gene: string) => map.get(gene)!.length === 1;
    for (const [h, ms] of partners.human)
      if (ms.length > 1 && ms.every((m) => onlyPartner(partners.mouse, m)))
        addFamily(o, { human: [h], mouse: ms });
    for (const [m, hs] of partners.mouse)
      if (hs.length > 1 && hs.every((h) => onlyPartner(partners.human, h)))
        addFamily(o, { human: hs, mouse: [m] });
  }
  for (const [m, h] of unique) {
    if (o.families.has(`mouse\t${m}`)) continue;
    if (partners.mouse.get(m)!.length > 1) o.dropped.oneToMany++;
    else if (partners.human.get(h)!.length > 1) o.dropped.manyToOne++;
    else {
      o.mouseToHuman.set(m, h);
      o.humanToMouse.set(h, m);
    }
  }
  return o;
}

function addFamily(o: Orthologs, genes: { human: string[]; mouse: string[] }): void {
  const name = `human:${[...genes.human].sort().join('+')}`;
  for (const h of genes.human) o.families.set(`human\t${h}`, name);
  for (const m of genes.mouse) o.families.set(`mouse\t${m}`, name);
}

/** Summed families: how many, and how many genes (both species) they hold. */
export function summedFamilies(o: Orthologs): { families: number; genes: number } {
  return { families: new Set(o.families.values()).size, genes: o.families.size };
}

/**
 * The name of the token a gene shares with the other species (`human:GENE`, or a summed
 * family's), or undefined when it has no partner the table keeps.
 */
export function sharedTokenName(
  o: Orthologs,
  species: 'human' | 'mouse',
  gene: string,
): string | undefined {
  const family = o.families.get(`${species}\t${gene}`);
  if (family !== undefined) return family;
  const human = species === 'human' ? gene : o.mouseToHuman.get(gene);
  return human !== undefined && o.humanToMouse.has(human) ? `human:${human}` : undefined;
}

export function readOrthologs(path: string, options: OrthologOptions = {}): Orthologs {
  expectFile(path, 'an ortholog table (CSV/TSV)');
  const t = readDelimited(path);
  const m = columnIndex(t, 'mouse_gene');
  const h = columnIndex(t, 'human_gene');
  return orthologsFromPairs(
    t.rows.filter((r) => r[m]?.trim() && r[h]?.trim()).map((r) => [r[m].trim(), r[h].trim()]),
    options,
  );
}
