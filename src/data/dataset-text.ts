/**
 * Calibration/eval text from a row source: one column's strings, each followed by a separator (default "\n\n", the
 * usual join of wikitext-2 rows for perplexity), grouped into chunks of about `chunkChars` for the tokenizer.
 * Null and empty values are skipped; any other non-string value is an InputError naming the row.
 */
import { InputError } from '../util/errors.js';
import type { RowSource } from './dataset-rows.js';

export interface RowTextOptions {
  readonly column: string;
  readonly separator: string;
  readonly chunkChars?: number;
}

const DEFAULT_CHUNK_CHARS = 1 << 20;

export async function* rowText(source: RowSource, o: RowTextOptions): AsyncGenerator<string> {
  const chunkChars = o.chunkChars ?? DEFAULT_CHUNK_CHARS;
  let pending: string[] = [];
  let size = 0;
  let index = 0;
  for await (const row of source.rows({ columns: [o.column] })) {
    const value = row[o.column];
    index++;
    if (value === null || value === undefined || value === '') continue;
    if (typeof value !== 'string') {
      throw new InputError(
        `${source.label}: row ${index}: column '${o.column}' is not text (${typeof value})`,
      );
    }
    pending.push(value, o.separator);
    size += value.length + o.separator.length;
    if (size >= chunkChars) {
      yield pending.join('');
      pending = [];
      size = 0;
    }
  }
  if (pending.length > 0) yield pending.join('');
}
