/**
 * The attention BiLSTM's view of a cohort: each family one step, its (standardised)
 * features zero-padded to the widest family; labels as class indices of a fixed class list.
 */
import { UsageError } from '../../core/errors.js';
import type { FamilySequences } from './bilstm-training.js';
import type { EphysCohort } from './cohort.js';

export function toFamilySequences(
  c: EphysCohort,
  classes: string[],
  width?: number,
): FamilySequences {
  const families = c.families.length;
  const w = width ?? Math.max(...c.families.map((f) => f.features.length));
  const n = c.ids.length;
  const x = new Float32Array(n * families * w);
  c.families.forEach((f, j) =>
    f.values.forEach((v, i) => {
      if (v.length > w) throw new UsageError(`family ${f.name} is wider (${v.length}) than ${w}`);
      x.set(v, (i * families + j) * w);
    }),
  );
  const index = new Map(classes.map((k, i) => [k, i]));
  const y = Int32Array.from(c.labels, (l) => {
    const k = index.get(l);
    if (k === undefined) throw new UsageError(`class '${l}' is not one of ${classes.join(', ')}`);
    return k;
  });
  return { x, n, families, width: w, y };
}
