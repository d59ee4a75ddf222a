/**
 * Cohort files (YAML or JSON): where a species' features and labels are and how to read
 * them. Paths are relative to the cohort file. Example:
 *
 *   species: human
 *   features: LeeDalley_ephys_fx.csv      # scalar table, IPFX .h5, or a folder of .npy
 *   feature_id_column: specimen_id
 *   labels: LeeDalley_manuscript_metadata.csv
 *   id_column: specimen_id
 *   label_column: Revised_subclass_label
 *   grouping: ipfx                        # ipfx | single | per-feature | families.json
 *   exclude_columns: ['*_qc', 'failed_*'] # table columns that are not features (QC, dates)
 *   exclude_cells_where: { failed_qc: ['True'] }  # rows left out by a column's text
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { readValidated } from '../../core/schema.js';
import type { CohortSpec } from './load.js';

const schema = z
  .object({
    species: z.string().min(1),
    features: z.string().min(1),
    labels: z.string().min(1),
    id_column: z.string().min(1),
    label_column: z.string().min(1),
    feature_id_column: z.string().optional(),
    exclude_columns: z.array(z.string().min(1)).optional(),
    exclude_cells_where: z.record(z.array(z.string())).optional(),
    first_word: z.boolean().optional(),
    id_match: z.enum(['exact', 'alphanumeric']).optional(),
    grouping: z.string().optional(),
    class_map: z.string().optional(),
    drop_unknown: z.boolean().optional(),
    max_missing_fraction: z.number().min(0).max(1).optional(),
  })
  .strict();

export function readCohortSpec(file: string): CohortSpec {
  const s = readValidated(file, schema);
  const base = dirname(resolve(file));
  const path = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const builtIn = (g?: string) =>
    g === undefined || ['ipfx', 'single', 'per-feature'].includes(g) ? g : path(g);
  return {
    species: s.species,
    features: path(s.features),
    labels: path(s.labels),
    idColumn: s.id_column,
    labelColumn: s.label_column,
    featureIdColumn: s.feature_id_column,
    excludeColumns: s.exclude_columns,
    excludeCellsWhere: s.exclude_cells_where,
    firstWord: s.first_word,
    idMatch: s.id_match,
    grouping: builtIn(s.grouping),
    classMap: s.class_map ? path(s.class_map) : undefined,
    dropUnknown: s.drop_unknown,
    maxMissingFraction: s.max_missing_fraction,
  };
}
