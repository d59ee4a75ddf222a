/** Reading YAML/JSON input files validated by a zod schema, with one-line InputErrors. */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';
import { InputError } from './errors.js';

/** `datasets[0].window` style path of a zod issue. */
export function fieldPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

export function parseYamlOrJson(text: string, file: string): unknown {
  try {
    return file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new InputError(
      file,
      undefined,
      `not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

export function readValidated<T extends z.ZodTypeAny>(file: string, schema: T): z.infer<T> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError(file, undefined, 'cannot read the file');
  }
  const parsed = schema.safeParse(parseYamlOrJson(text, file));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      file,
      fieldPath(issue.path) || '(top level)',
      issue.message.replace(/^[A-Z]/, (c) => c.toLowerCase()),
    );
  }
  return parsed.data as z.infer<T>;
}
