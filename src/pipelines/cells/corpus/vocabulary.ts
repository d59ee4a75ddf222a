/**
 * The gene vocabulary shared by human and mouse cells (Mix-Geneformer). Special tokens come
 * first: `<pad>` 0, `<mask>` 1, `<cls>` 2, `<eos>` 3. In `unified` mode a mouse gene with a
 * one-to-one human ortholog shares the human gene's token, so the two species meet in one
 * embedding table (so do the genes of a summed paralog family, e.g. Ins1, Ins2 and INS: see
 * orthologs.ts); other genes keep their own tokens, named `human:GENE` / `mouse:Gene`
 * (the prefix prevents accidental matches: orthology comes from the table, never from
 * case-folding symbols). In `separate` mode every gene is species-specific.
 */
import { UsageError } from '../../../core/errors.js';
import { sharedTokenName, type Orthologs } from './orthologs.js';

export type Species = 'human' | 'mouse';
export const SPECIAL_TOKENS = ['<pad>', '<mask>', '<cls>', '<eos>'] as const;
export const PAD = 0;
export const MASK = 1;
export const CLS = 2;
export const EOS = 3;

/** `unified`: orthologs share tokens; `separate`: every gene is species-specific. */
export const VOCABULARY_MODES = ['unified', 'separate'] as const;
export type VocabularyMode = (typeof VOCABULARY_MODES)[number];

export interface VocabularyJson {
  mode: VocabularyMode;
  tokens: string[];
  /** `species\tgene` → token, for every gene of the corpora the vocabulary was built from. */
  genes: [string, number][];
}

export class Vocabulary {
  private readonly byGene: Map<string, number>;

  private constructor(private readonly json: VocabularyJson) {
    this.byGene = new Map(json.genes);
  }

  get size(): number {
    return this.json.tokens.length;
  }

  get mode(): VocabularyJson['mode'] {
    return this.json.mode;
  }

  /** The token of a species' gene, or undefined when it is not in the vocabulary. */
  tokenOf(species: Species, gene: string): number | undefined {
    return this.byGene.get(`${species}\t${gene}`);
  }

  /** The genes of one species the vocabulary was built from. */
  genesOf(species: Species): string[] {
    const prefix = `${species}\t`;
    return [...this.byGene.keys()].flatMap((k) =>
      k.startsWith(prefix) ? [k.slice(prefix.length)] : [],
    );
  }

  /** Tokens used by genes of both species (in `unified` mode: the orthologs). */
  sharedTokens(): Set<number> {
    const bySpecies = { human: new Set<number>(), mouse: new Set<number>() };
    for (const [key, token] of this.byGene) bySpecies[key.split('\t')[0] as Species].add(token);
    return new Set([...bySpecies.human].filter((t) => bySpecies.mouse.has(t)));
  }

  nameOf(token: number): string {
    return this.json.tokens[token];
  }

  toJSON(): VocabularyJson {
    return this.json;
  }

  static fromJSON(json: VocabularyJson): Vocabulary {
    return new Vocabulary(json);
  }

  static build(
    corpora: { species: Species; genes: string[] }[],
    orthologs: Orthologs | null,
    mode: VocabularyMode = 'unified',
  ): Vocabulary {
    if (mode === 'unified' && !orthologs)
      throw new UsageError('a unified vocabulary needs an ortholog table');
    const tokens: string[] = [...SPECIAL_TOKENS];
    const tokenByName = new Map<string, number>();
    const genes: [string, number][] = [];
    const seen = new Set<string>();
    for (const { species, genes: list } of corpora) {
      for (const gene of list) {
        const key = `${species}\t${gene}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const own = `${species}:${gene}`;
        const name = mode === 'unified' ? (sharedTokenName(orthologs!, species, gene) ?? own) : own;
        let token = tokenByName.get(name);
        if (token === undefined) {
          token = tokens.length;
          tokens.push(name);
          tokenByName.set(name, token);
        }
        genes.push([key, token]);
      }
    }
    return new Vocabulary({ mode, tokens, genes });
  }
}
