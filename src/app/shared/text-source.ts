/**
 * A recipe section's text (calibration or eval) as the stages read it: a UTF-8 file, a local .jsonl/.parquet file,
 * or a Hub dataset split resolved to a pinned commit. Each source says what it is (`identity`: the stage-cache key
 * part, from content hashes and the resolved commit, never from paths or names) and what to record in the lock and
 * manifest (`pin`); its text streams, so a dataset's files are fetched and read only as far as the token budget goes.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { type DownloadEvent, sha256File } from '../../checkpoint/resolve.js';
import { rowText } from '../../data/dataset-text.js';
import { fileChunks } from '../../data/windows.js';
import type { TextFrom } from '../../recipe/types.js';
import { InputError } from '../../util/errors.js';
import { openTable, type TablePin } from './table-source.js';

/** What the lock and manifest record about a dataset source: its table and the column read. */
export type DataPin = TablePin & { readonly column: string };

export interface TextSource {
  /** For messages and report.json's `eval.text`. */
  readonly label: string;
  readonly identity: unknown;
  /** null for a plain text file (its hash is in the cache key; the lock pins datasets). */
  readonly pin: DataPin | null;
  /** The text; `onDownload` reports the files a Hub dataset fetches on the way (under the stage reading it). */
  chunks(onDownload?: (e: DownloadEvent) => void): AsyncIterable<string>;
}

export interface OpenOptions {
  readonly offline?: boolean;
}

export async function openTextSource(from: TextFrom, opts: OpenOptions = {}): Promise<TextSource> {
  if (from.dataset === undefined) {
    const file = from.text;
    if (!existsSync(file)) throw new InputError(`${file}: text file not found`);
    return {
      label: basename(file),
      identity: await sha256File(file),
      pin: null,
      chunks: () => fileChunks(file),
    };
  }
  const d = from.dataset;
  const table = await openTable(d, opts);
  const columns = [d.column];
  return {
    label: `${table.label}[${d.column}]`,
    identity: { ...table.identity, column: d.column, separator: d.separator },
    pin: { ...table.pin, column: d.column },
    chunks: (onDownload) =>
      rowText(
        { label: table.label, rows: (o) => table.rows({ ...o, columns, ...(onDownload && { onDownload }) }) },
        d,
      ),
  };
}
