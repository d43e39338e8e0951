/**
 * Parquet rows with hyparquet: the footer first, then one row group at a time (only the requested columns' chunks
 * are read from disk), so memory holds one row group, never the file. Codecs beyond snappy (zstd, gzip, brotli,
 * lz4) come from hyparquet-compressors. The file is untrusted: a damaged footer or page is an InputError naming it.
 */
import { asyncBufferFromFile, type FileMetaData, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { InputError } from '../util/errors.js';
import { printable } from '../util/untrusted-text.js';
import type { Row } from './dataset-rows.js';

export async function* parquetFileRows(
  path: string,
  label: string,
  columns?: readonly string[],
): AsyncGenerator<Row> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file).catch((err: Error) => {
    throw new InputError(`${label}: not a readable Parquet file (${printable(err.message)})`);
  });
  checkColumns(metadata, label, columns);
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    const rows = await parquetReadObjects({
      file,
      metadata,
      rowStart: start,
      rowEnd: end,
      compressors,
      ...(columns ? { columns: [...columns] } : {}),
    }).catch((err: Error) => {
      throw new InputError(`${label}: cannot read rows ${start}..${end} (${printable(err.message)})`);
    });
    for (const row of rows) yield row as Row;
    start = end;
  }
}

/** Top-level column names from the flattened schema (element 0 is the root; nested children are skipped). */
export function parquetColumns(metadata: FileMetaData): string[] {
  const names: string[] = [];
  let i = 1;
  const skip = (n: number): void => {
    for (let k = 0; k < n; k++) skip(metadata.schema[i++]?.num_children ?? 0);
  };
  while (i < metadata.schema.length) {
    const el = metadata.schema[i++]!;
    names.push(el.name);
    skip(el.num_children ?? 0);
  }
  return names;
}

function checkColumns(metadata: FileMetaData, label: string, columns?: readonly string[]): void {
  const have = parquetColumns(metadata);
  const missing = (columns ?? []).filter((c) => !have.includes(c));
  if (missing.length > 0) {
    throw new InputError(
      `${label}: no column ${missing.map((c) => `'${c}'`).join(', ')}; columns: ${have.join(', ')}`,
    );
  }
}
