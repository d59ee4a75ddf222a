/** `neurobridge cells embed` as a function: a tokenized corpus' cell embeddings as `.npy`. */
import { writeNpy } from '../io/npy.js';
import { readTokenizedCorpus } from '../pipelines/cells/corpus/corpus-files.js';
import { loadPretrainedRun } from '../pipelines/cells/pretrain/pretrain.js';
import { embedCells, type Pooling } from '../pipelines/cells/tasks/tasks.js';

export interface EmbedOptions {
  /** Folder written by `cells pretrain`. */
  run: string;
  /** Folder written by `cells tokenize`. */
  tokens: string;
  corpus: string;
  pooling: Pooling;
  /** The `.npy` file written (cells × hidden, float32). */
  out: string;
}

/** Embeds every cell of the corpus with the pretrained encoder; returns the matrix' shape. */
export async function embedCorpus(o: EmbedOptions): Promise<{ cells: number; hidden: number }> {
  const { corpus } = readTokenizedCorpus(o.tokens, o.corpus);
  const model = loadPretrainedRun(o.run);
  const e = embedCells(model, corpus, o.pooling);
  const hidden = model.config.hidden;
  await writeNpy(o.out, e, { shape: [e.length / hidden, hidden] });
  return { cells: e.length / hidden, hidden };
}
