/**
 * Library messages name the option a caller can set as "option `field`" (the field of the
 * options object, e.g. `sampleRateHz`); the command line prints the flag that sets it.
 * Library users call functions, not flags, so only this file knows the flags.
 */
const FLAG_OF_FIELD: Record<string, string> = {
  // spikes readers
  format: '--format',
  sampleRateHz: '--sample-rate',
  well: '--well',
  // cells tokenize and pretrain
  cellTables: '--cell-table',
  chunkCells: '--chunk-cells',
  crossSpecies: '--cross-species',
  layer: '--layer',
  maxLength: '--max-length',
  medianSample: '--median-sample',
  orthologs: '--orthologs',
  raw: '--raw',
  restoreMouseCase: '--restore-mouse-case',
  sumParalogs: '--sum-paralogs',
  select: '--select',
  vocabulary: '--vocabulary',
  vocabularyFrom: '--vocabulary-from',
  // cells classify
  keep: '--keep-weights',
  refit: '--refit',
  // cells perturb --null matched
  poolSize: '--null-pool',
  // ephys extract
  stimulusWindow: '--stimulus-window',
  // ephys cohorts are set in the cohort file, not by flags
  classMap: 'cohort key `class_map`',
  dropUnknown: 'cohort key `drop_unknown`',
  grouping: 'cohort key `grouping`',
  idMatch: 'cohort key `id_match`',
  // spikes study on Slurm
  mem: '--mem',
  slurm: '--executor slurm',
  time: '--time',
  // every command that writes a folder
  out: '--out',
};

/** `message` with every "option `field`" the CLI has a flag for replaced by that flag. */
export function withFlags(message: string): string {
  return message.replace(/option `(\w+)`/g, (text, field: string) => FLAG_OF_FIELD[field] ?? text);
}
