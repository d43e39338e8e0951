/**
 * JSON Lines rows: one JSON object per line, streamed line by line. A line that is not a JSON object is an
 * InputError naming the file and line; blank lines are skipped.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { InputError } from '../util/errors.js';
import { printable } from '../util/untrusted-text.js';
import type { Row } from './dataset-rows.js';

export async function* jsonlFileRows(
  path: string,
  label: string,
  columns?: readonly string[],
): AsyncGenerator<Row> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new InputError(`${label}:${n}: not valid JSON (${printable((err as Error).message)})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InputError(`${label}:${n}: expected a JSON object per line`);
    }
    const row = value as Row;
    if (!columns) {
      yield row;
      continue;
    }
    const missing = columns.filter((c) => !(c in row));
    if (missing.length > 0) {
      throw new InputError(
        `${label}:${n}: no field ${missing.map((c) => `'${c}'`).join(', ')}; fields: ${Object.keys(row).join(', ')}`,
      );
    }
    yield Object.fromEntries(columns.map((c) => [c, row[c]!]));
  }
}
