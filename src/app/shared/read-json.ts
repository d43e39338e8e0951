/**
 * Reading the JSON files of an output directory (moefy.json, config.json, …) as untrusted input: a missing file,
 * unreadable bytes, invalid JSON or a schema mismatch each become one InputError naming the file and the field.
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { InputError } from '../../util/errors.js';
import { printable } from '../../util/untrusted-text.js';

/** The file's text; `missing` says what to do when it does not exist. */
export async function readText(path: string, missing: string): Promise<string> {
  return readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new InputError(`${path}: not found; ${missing}`);
    throw new InputError(`${path}: cannot read (${err.code ?? err.message})`);
  });
}

export function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path}: not valid JSON (${printable((err as Error).message)})`);
  }
}

/** Parses `value` with `schema`; the first problem names its field. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  path: string,
  prefix = '',
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  throw new InputError(`${path}: field ${field || '(root)'}: ${printable(issue.message)}`);
}

export async function readJsonFile<S extends z.ZodType>(
  path: string,
  schema: S,
  missing: string,
): Promise<z.output<S>> {
  return validate(schema, parseJson(await readText(path, missing), path), path);
}
