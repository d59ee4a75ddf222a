/**
 * neurobridge's package root: everything here works without the libtorch addon (metrics,
 * statistical tests, layouts, readers, binning, simulators). The neural engine is the
 * `neurobridge/engine` entry point; the models and pipelines load it when used.
 */
export * from './stats/index.js';
export * from './io/spikes/index.js';
export { readNpy, writeNpy } from './io/npy.js';
export { simulateSpikes, type SimKind, type SimOptions } from './sim/spikes.js';
export {
  simulateNetwork,
  runNetwork,
  NETWORK_REGIMES,
  type NetworkRegime,
  type NetworkParams,
  type NetworkOptions,
  type NetworkRun,
} from './sim/network.js';
export {
  binSpikes,
  type Binned,
  type BinnedMeta,
  type UnitRule,
} from './pipelines/spikes/data/binning.js';
export {
  loadManifest,
  parseManifest,
  PAPER_DEFAULTS,
  type DatasetSpec,
  type Manifest,
} from './pipelines/spikes/data/manifest.js';
export type { BinaryRaster } from './pipelines/spikes/data/raster.js';
export { InputError, UsageError } from './core/errors.js';
export { Rng } from './core/random.js';
export * from './io/cells/index.js';
export { readFeatureTable, type FeatureTable } from './io/ephys/feature-table.js';
export { readLabels, type LabelTable } from './io/ephys/labels.js';
export { readFeatureVectors, writeFeatureVectors, type FeatureVectors } from './io/ephys/ipfx.js';
export { simulateEphysCohort, writeEphysCohort } from './sim/ephys.js';
export { simulateCellCorpus, simulatedOrthologTable } from './sim/cells.js';
export { Vocabulary } from './pipelines/cells/corpus/vocabulary.js';
export { encodeCells, fitGeneMedians } from './pipelines/cells/corpus/rank-encoding.js';
export { readOrthologs } from './pipelines/cells/corpus/orthologs.js';
export { tokenizeCorpora, type TokenizeOptions } from './pipelines/cells/corpus/tokenize.js';
export { VOCABULARY_MODES, type VocabularyMode } from './pipelines/cells/corpus/vocabulary.js';
export { prepareManifest, type PreparedEntry } from './pipelines/spikes/data/prepare.js';
export { writeOutputSet } from './core/atomic.js';
export { readJsonFile } from './core/json.js';
