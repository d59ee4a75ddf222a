/**
 * `neurobridge cells perturb` as a function: in silico deletion or overexpression of genes in
 * selected cells, ranked by embedding shift (or by the shift toward a goal state); writes
 * perturbation.json and report.html.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { UsageError } from '../core/errors.js';
import { renderCellsReport } from '../report/cells.js';
import {
  corpusRows,
  readTokenizedCorpus,
  readVocabulary,
} from '../pipelines/cells/corpus-files.js';
import { loadPretrainedRun } from '../pipelines/cells/pretrain.js';
import {
  embedCells,
  meanEmbedding,
  perturbationEffects,
  type PerturbMode,
} from '../pipelines/cells/tasks.js';

export interface PerturbOptions {
  /** Folder written by `cells pretrain`. */
  run: string;
  /** Folder written by `cells tokenize`. */
  tokens: string;
  corpus: string;
  /** Which cells to perturb: `column=value`. */
  cells: string;
  mode: PerturbMode;
  /** Genes to perturb (default: the `topGenes` most often expressed in the selected cells). */
  genes?: string[];
  topGenes?: number;
  /** Goal state: the mean embedding of the cells matching `column=value`. */
  goal?: string;
  out: string;
}

export interface PerturbationRow {
  gene: string;
  cells: number;
  shift: number;
  towardGoal: number | null;
}

export interface PerturbResult {
  /** Ranked: by shift toward the goal when there is one, else by shift. */
  effects: PerturbationRow[];
  files: { results: string; report: string };
}

/** `column=value` → the indices of the cells matching it; `what` names the option. */
export function selectCells(
  obs: Record<string, (string | number)[]>,
  expr: string,
  what: string,
): number[] {
  const at = expr.indexOf('=');
  const column = at > 0 ? expr.slice(0, at) : '';
  if (!column) throw new UsageError(`${what}: expected column=value, got '${expr}'`);
  const value = expr.slice(at + 1);
  const col = obs[column];
  if (!col)
    throw new UsageError(
      `${what}: no cell annotation '${column}'; have ${Object.keys(obs).join(', ')}`,
    );
  const idx = col.flatMap((v, i) => (String(v) === value ? [i] : []));
  if (idx.length === 0) throw new UsageError(`${what}: no cell has ${column} = ${value}`);
  return idx;
}

export function perturbCells(o: PerturbOptions): PerturbResult {
  const model = loadPretrainedRun(o.run);
  const { vocab } = readVocabulary(o.tokens);
  const { corpus, cells } = readTokenizedCorpus(o.tokens, o.corpus);
  const chosen = selectCells(cells.obs, o.cells, '--cells');
  const goalCells = o.goal ? selectCells(cells.obs, o.goal, '--goal') : null;
  const subset = corpusRows(corpus, chosen);
  let tokens: number[];
  if (o.genes && o.genes.length > 0) {
    tokens = o.genes.map((g) => {
      const t = vocab.tokenOf(cells.species, g.trim());
      if (t === undefined)
        throw new UsageError(`--genes: '${g}' is not in the vocabulary for ${cells.species}`);
      return t;
    });
  } else {
    const counts = new Map<number, number>();
    for (const t of subset.tokens) if (t > 3) counts.set(t, (counts.get(t) ?? 0) + 1);
    tokens = [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, o.topGenes ?? 50)
      .map(([t]) => t);
  }
  const goal = goalCells
    ? meanEmbedding(embedCells(model, corpus), model.config.hidden, goalCells)
    : null;
  const effects: PerturbationRow[] = perturbationEffects(model, subset, tokens, o.mode, goal)
    .map((e) => ({
      gene: vocab.nameOf(e.token),
      cells: e.cells,
      shift: e.shift,
      towardGoal: e.towardGoal,
    }))
    .sort((a, b) => (goal ? (b.towardGoal ?? 0) - (a.towardGoal ?? 0) : b.shift - a.shift));
  const files = {
    results: join(o.out, 'perturbation.json'),
    report: join(o.out, 'report.html'),
  };
  writeFileAtomic(
    files.results,
    JSON.stringify({ mode: o.mode, cells: o.cells, goal: o.goal ?? null, effects }, null, 2),
  );
  const column = o.cells.slice(0, o.cells.indexOf('='));
  writeFileAtomic(
    files.report,
    renderCellsReport({
      embeddings: {
        values: embedCells(model, subset),
        hidden: model.config.hidden,
        species: chosen.map(() => cells.species),
        cellType: chosen.map((i) => String(cells.obs[column][i])),
      },
      perturbation: { mode: o.mode, rows: effects },
      seed: 0,
    }),
  );
  return { effects, files };
}
