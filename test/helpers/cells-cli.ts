/**
 * Argument lists of the `cells` commands the CLI tests repeat, over the corpora that
 * `simulate cells --out data` writes: tokenize both species, classify mouse → human.
 */

/** `cells tokenize` of the simulated human and mouse corpora with their ortholog table. */
export function tokenizeArgs(out: string, maxLength: number, ...extra: string[]): string[] {
  return [
    'cells',
    'tokenize',
    'hs:human:data/human.h5ad',
    'mm:mouse:data/mouse.h5ad',
    '--orthologs',
    'data/orthologs.tsv',
    '--max-length',
    String(maxLength),
    ...extra,
    '--out',
    out,
  ];
}

/** `cells classify` of the pretrained `run` on the tokens in `tok`. */
export function classifyArgs(train: string, test: string, ...extra: string[]): string[] {
  return ['cells', 'classify', 'run', 'tok', '--train', train, '--test', test, ...extra];
}

/** `cells perturb` of the pretrained `run` on the `cells` of one corpus (e.g. `cell_type=Pvalb`). */
export function perturbArgs(
  corpus: string,
  cells: string,
  genes: string,
  ...extra: string[]
): string[] {
  return [
    'cells',
    'perturb',
    'run',
    'tok',
    '--corpus',
    corpus,
    '--cells',
    cells,
    '--genes',
    genes,
    ...extra,
  ];
}

/** `cells pretrain` of a tiny encoder on the tokens in `tok` (`extra`, e.g. `--seed 1`). */
export function pretrainTinyArgs(out: string, epochs: number, ...extra: string[]): string[] {
  return [
    'cells',
    'pretrain',
    'tok',
    '--preset',
    'tiny',
    '--epochs',
    String(epochs),
    ...extra,
    '--out',
    out,
  ];
}
