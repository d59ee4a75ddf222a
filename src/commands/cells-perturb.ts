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
} from '../pipelines/cells/corpus/corpus-files.js';
import { loadPretrainedRun } from '../pipelines/cells/pretrain/pretrain.js';
import {
  markerDeletionTest,
  type MarkerDeletionTest,
} from '../pipelines/cells/tasks/marker-deletion.js';
import {
  embedCells,
  meanEmbedding,
  perturbationEffects,
  type PerturbMode,
} from '../pipelines/cells/tasks/tasks.js';

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
  /** Perturb `genes` together, as one perturbation, instead of one at a time. */
  together?: boolean;
  topGenes?: number;
  /**
   * Goal states, each the mean embedding of the cells matching `column=value`; `column=*`
   * stands for every value of the column (the perturbed cells' own included).
   */
  goals?: string[];
  /**
   * `matched`: with `together`, test the deletion of `genes` against random sets of the same
   * size matched on expression frequency and position (marker-deletion.ts).
   */
  null?: 'matched';
  /** Settings of that test (default DEFAULT_MARKER_DELETION's). */
  permutations?: number;
  nullPool?: number;
  nullCells?: number;
  seed?: number;
  out: string;
}

export interface PerturbationRow {
  /** The gene, or the genes perturbed together joined by '+'. */
  gene: string;
  cells: number;
  shift: number;
  /** Mean change of cos(cell, goal) per goal (`column=value`). */
  towardGoals: Record<string, number>;
}

/** The marker-deletion permutation test as written (gene names instead of tokens). */
export interface PermutationTestRow {
  statistic: string;
  genes: string[];
  absent: string[];
  cells: number;
  affectedCells: number;
  observed: number;
  null: { mean: number; sd: number; permutations: number; values: number[]; sets: string[][] };
  exceedances: number;
  p: number;
  poolSize: number;
  seed: number;
}

export interface PerturbResult {
  /** Ranked: by shift toward the goal when there is exactly one, else by shift. */
  effects: PerturbationRow[];
  permutationTest?: PermutationTestRow;
  files: { results: string; report: string };
}

/** `column=value` → the indices of the cells matching it; `what` names the option. */
export function selectCells(
  obs: Record<string, (string | number)[]>,
  expr: string,
  what: string,
): number[] {
  const { column, value } = parseSelection(obs, expr, what);
  const idx = obs[column].flatMap((v, i) => (String(v) === value ? [i] : []));
  if (idx.length === 0) throw new UsageError(`${what}: no cell has ${column} = ${value}`);
  return idx;
}

function parseSelection(
  obs: Record<string, (string | number)[]>,
  expr: string,
  what: string,
): { column: string; value: string } {
  const at = expr.indexOf('=');
  const column = at > 0 ? expr.slice(0, at) : '';
  if (!column) throw new UsageError(`${what}: expected column=value, got '${expr}'`);
  if (!obs[column])
    throw new UsageError(
      `${what}: no cell annotation '${column}'; have ${Object.keys(obs).join(', ')}`,
    );
  return { column, value: expr.slice(at + 1) };
}

/** Goal expressions with `column=*` expanded to every value of the column (sorted). */
export function expandGoals(obs: Record<string, (string | number)[]>, goals: string[]): string[] {
  return goals.flatMap((g) => {
    const { column, value } = parseSelection(obs, g, '--goal');
    if (value !== '*') return [g];
    return [...new Set(obs[column].map(String))].sort().map((v) => `${column}=${v}`);
  });
}

export function perturbCells(o: PerturbOptions): PerturbResult {
  const model = loadPretrainedRun(o.run);
  const { vocab } = readVocabulary(o.tokens);
  const { corpus, cells } = readTokenizedCorpus(o.tokens, o.corpus);
  const chosen = selectCells(cells.obs, o.cells, '--cells');
  const goalNames = expandGoals(cells.obs, o.goals ?? []);
  const goalCells = goalNames.map((g) => selectCells(cells.obs, g, '--goal'));
  const subset = corpusRows(corpus, chosen);
  let tokens: number[];
  if (o.genes && o.genes.length > 0) {
    // Genes of one summed paralog family (Ins1, Ins2) name one token: it is perturbed once.
    tokens = [
      ...new Set(
        o.genes.map((g) => {
          const t = vocab.tokenOf(cells.species, g.trim());
          if (t === undefined)
            throw new UsageError(`--genes: '${g}' is not in the vocabulary for ${cells.species}`);
          return t;
        }),
      ),
    ];
  } else {
    if (o.together) throw new UsageError('--together perturbs the genes of --genes: give them');
    const counts = new Map<number, number>();
    for (const t of subset.tokens) if (t > 3) counts.set(t, (counts.get(t) ?? 0) + 1);
    tokens = [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, o.topGenes ?? 50)
      .map(([t]) => t);
  }
  if (o.null && !(o.together && o.genes && o.genes.length > 0))
    throw new UsageError(
      '--null tests the deletion of the --genes together: give --genes and --together',
    );
  if (o.null && o.mode !== 'delete')
    throw new UsageError('--null tests a deletion: use --mode delete');
  const all = goalCells.length > 0 ? embedCells(model, corpus) : null;
  const goals = goalCells.map((idx) =>
    meanEmbedding(all ?? new Float32Array(), model.config.hidden, idx),
  );
  const single = goalNames.length === 1;
  const effects: PerturbationRow[] = perturbationEffects(
    model,
    subset,
    o.together ? [tokens] : tokens,
    o.mode,
    goals,
  )
    .map((e) => ({
      gene: e.tokens.map((t) => vocab.nameOf(t)).join('+'),
      cells: e.cells,
      shift: e.shift,
      towardGoals: Object.fromEntries(goalNames.map((g, j) => [g, e.towardGoals[j]])),
    }))
    .sort((a, b) =>
      single ? b.towardGoals[goalNames[0]] - a.towardGoals[goalNames[0]] : b.shift - a.shift,
    );
  const permutationTest = o.null
    ? permutationTestRow(
        markerDeletionTest(model, subset, tokens, {
          ...(o.permutations !== undefined ? { permutations: o.permutations } : {}),
          ...(o.nullPool !== undefined ? { poolSize: o.nullPool } : {}),
          ...(o.nullCells !== undefined ? { maxCells: o.nullCells } : {}),
          ...(o.seed !== undefined ? { seed: o.seed } : {}),
        }),
        (t) => vocab.nameOf(t),
      )
    : undefined;
  const files = {
    results: join(o.out, 'perturbation.json'),
    report: join(o.out, 'report.html'),
  };
  writeFileAtomic(
    files.results,
    JSON.stringify(
      {
        mode: o.mode,
        cells: o.cells,
        selected: chosen.length,
        together: Boolean(o.together),
        goals: goalNames.map((g, j) => ({ goal: g, cells: goalCells[j].length })),
        effects,
        ...(permutationTest ? { permutationTest } : {}),
      },
      null,
      2,
    ),
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
      perturbation: {
        mode: o.mode,
        goals: goalNames,
        rows: effects,
        ...(permutationTest ? { test: permutationTest } : {}),
      },
      seed: 0,
    }),
  );
  return { effects, files, ...(permutationTest ? { permutationTest } : {}) };
}

function permutationTestRow(
  t: MarkerDeletionTest,
  name: (token: number) => string,
): PermutationTestRow {
  return {
    statistic:
      '−mean Δcos(cell, own centroid) over the tested cells (the mean embedding of the --cells cells; 0 for cells without the genes); larger = further from the own type',
    genes: t.markers.map(name),
    absent: t.absent.map(name),
    cells: t.cells,
    affectedCells: t.affectedCells,
    observed: t.observed,
    null: {
      mean: t.null.mean,
      sd: t.null.sd,
      permutations: t.null.values.length,
      values: t.null.values,
      sets: t.null.sets.map((s) => s.map(name)),
    },
    exceedances: t.exceedances,
    p: t.p,
    poolSize: t.options.poolSize,
    seed: t.options.seed,
  };
}
