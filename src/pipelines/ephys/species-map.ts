/**
 * Aligning class names across species so that one head can serve both: mouse `Sncg` is a
 * Vip-like CGE type, human `LAMP5/PAX6/Other` is the Lamp5 group (Gouwens 2020; Lee, Dalley
 * et al. 2023). Names are matched case-insensitively; a class the map does not know is an
 * error naming the file and line, unless the caller asks to drop such cells.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../../core/errors.js';
import type { LabelTable } from '../../io/ephys/labels.js';

export type ClassMap = Record<string, string>;

export const DEFAULT_CLASS_MAP: ClassMap = {
  lamp5: 'Lamp5',
  'lamp5/pax6/other': 'Lamp5',
  pvalb: 'Pvalb',
  sst: 'Sst',
  'sst chodl': 'Sst',
  vip: 'Vip',
  sncg: 'Vip',
  serpinf1: 'Vip',
};

/** A YAML/JSON object `{ source name: class }` (merged over nothing: it replaces the default). */
export function loadClassMap(path: string): ClassMap {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(path, undefined, `not YAML/JSON: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new InputError(path, undefined, 'expected a mapping of class names, e.g. `Sncg: Vip`');
  const map: ClassMap = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string')
      throw new InputError(path, k, `expected a class name, got ${JSON.stringify(v)}`);
    map[k.toLowerCase()] = v;
  }
  return map;
}

/**
 * Maps every label through `map`. `onUnknown: 'error'` (default) stops at the first unknown
 * class; 'drop' removes those cells and counts them per original name.
 */
export function alignLabels(
  labels: LabelTable,
  map: ClassMap,
  onUnknown: 'error' | 'drop' = 'error',
): { labels: LabelTable; dropped: Record<string, number> } {
  const out = new Map<string, string>();
  const dropped: Record<string, number> = {};
  for (const [id, label] of labels.labels) {
    const mapped = map[label.toLowerCase()];
    if (mapped !== undefined) {
      out.set(id, mapped);
      continue;
    }
    if (onUnknown === 'drop') {
      dropped[label] = (dropped[label] ?? 0) + 1;
      continue;
    }
    throw new InputError(
      labels.path,
      `line ${labels.lines.get(id)}, column '${labels.column}'`,
      `unknown class '${label}'; known: ${Object.keys(map).join(', ')} (map it with option \`classMap\`, or option \`dropUnknown\`)`,
    );
  }
  return { labels: { ...labels, labels: out }, dropped };
}
