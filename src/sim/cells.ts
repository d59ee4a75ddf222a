/**
 * Seeded synthetic scRNA-seq corpora for the cells system: human-like and mouse-like count
 * matrices whose cell types share one expression programme through orthologs. A programme
 * over ortholog pairs (a few strong markers per type on top of a shared background) is drawn
 * once per seed; each species expresses it under its own gene names (human `GENE`, mouse
 * `Gene`), adds species-specific genes, a species-level log-fold shift and its own library
 * sizes, and samples counts from a gamma–Poisson (negative binomial) model.
 */
import { Rng } from '../core/random.js';
import { CsrBuilder, type CountMatrix } from '../io/cells/types.js';

export const CELL_TYPES = ['Pvalb', 'Sst', 'Vip', 'Lamp5', 'Astro', 'Oligo'];

export interface CellCorpusOptions {
  species: 'human' | 'mouse';
  cells: number;
  /** Seed of this corpus's cells. */
  seed: number;
  /** Seed of the shared programme: equal for the two species of one experiment. */
  programmeSeed?: number;
  sharedGenes?: number;
  speciesGenes?: number;
  markersPerType?: number;
}

interface Programme {
  /** Base log-mean per shared gene. */
  base: Float64Array;
  /** markers[t] = shared-gene indices up-regulated in type t. */
  markers: number[][];
  /** Per shared gene, the species shift (mouse minus human, log scale). */
  shift: Float64Array;
}

function programme(seed: number, genes: number, types: number, markersPerType: number): Programme {
  const rng = new Rng(seed);
  const base = Float64Array.from({ length: genes }, () => -1.5 + 1.2 * rng.normal());
  const order = rng.permutation(genes);
  const markers = Array.from({ length: types }, (_, t) =>
    order.slice(t * markersPerType, (t + 1) * markersPerType),
  );
  const shift = Float64Array.from({ length: genes }, () => 0.4 * rng.normal());
  return { base, markers, shift };
}

/** Shared gene g is `HGENE<g>` in human and `Hgene<g>`-style Title case in mouse. */
export function sharedGeneName(species: 'human' | 'mouse', g: number): string {
  const id = String(g + 1).padStart(4, '0');
  return species === 'human' ? `GENE${id}` : `Gene${id}`;
}

export function simulateCellCorpus(o: CellCorpusOptions): CountMatrix {
  const shared = o.sharedGenes ?? 400;
  const own = o.speciesGenes ?? 60;
  const markersPerType = o.markersPerType ?? 6;
  const p = programme(o.programmeSeed ?? 0, shared, CELL_TYPES.length, markersPerType);
  const rng = new Rng(o.seed);
  const isMouse = o.species === 'mouse';
  const geneIds = [
    ...Array.from({ length: shared }, (_, g) => sharedGeneName(o.species, g)),
    ...Array.from(
      { length: own },
      (_, g) => `${isMouse ? 'Mspec' : 'HSPEC'}${String(g + 1).padStart(3, '0')}`,
    ),
  ];
  const ownBase = Float64Array.from({ length: own }, () => -1.5 + 1.0 * rng.normal());
  const csr = new CsrBuilder();
  const cellType: string[] = [];
  const dispersion = 0.4; // NB: variance = μ + 0.4 μ²
  for (let c = 0; c < o.cells; c++) {
    const t = rng.int(CELL_TYPES.length);
    cellType.push(CELL_TYPES[t]);
    const library = Math.exp((isMouse ? 0.3 : 0) + 0.35 * rng.normal());
    const markers = new Set(p.markers[t]);
    csr.addRow(shared + own, (g) => {
      const log =
        g < shared
          ? p.base[g] + (markers.has(g) ? 3 : 0) + (isMouse ? p.shift[g] : 0)
          : ownBase[g - shared];
      const mean = library * Math.exp(log);
      return rng.poisson(mean * rng.gamma(1 / dispersion) * dispersion);
    });
  }
  return {
    nCells: o.cells,
    nGenes: geneIds.length,
    ...csr.build(),
    cellIds: Array.from(
      { length: o.cells },
      (_, c) => `${o.species}-cell${String(c + 1).padStart(5, '0')}`,
    ),
    geneIds,
    obs: { cell_type: cellType, species: Array<string>(o.cells).fill(o.species) },
    var: {},
    source: { format: 'synthetic', path: `sim:cells:${o.species}:seed=${o.seed}` },
  };
}

/** The ortholog table of the simulated corpora (`mouse_gene`, `human_gene`), as TSV text. */
export function simulatedOrthologTable(sharedGenes = 400): string {
  const rows = Array.from(
    { length: sharedGenes },
    (_, g) => `${sharedGeneName('mouse', g)}\t${sharedGeneName('human', g)}`,
  );
  return ['mouse_gene\thuman_gene', ...rows].join('\n') + '\n';
}

/** Marker genes of each type (shared-gene names of `species`), for tests and perturbation demos. */
export function markerGenes(
  species: 'human' | 'mouse',
  programmeSeed = 0,
  sharedGenes = 400,
  markersPerType = 6,
): Record<string, string[]> {
  const p = programme(programmeSeed, sharedGenes, CELL_TYPES.length, markersPerType);
  return Object.fromEntries(
    CELL_TYPES.map((t, i) => [t, p.markers[i].map((g) => sharedGeneName(species, g))]),
  );
}
