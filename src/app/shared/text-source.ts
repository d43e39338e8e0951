/**
 * A recipe section's text (calibration or eval) as the stages read it: a UTF-8 file, a local .jsonl/.parquet file,
 * or a Hub dataset split resolved to a pinned commit. Each source says what it is (`identity`: the stage-cache key
 * part, from content hashes and the resolved commit, never from paths or names) and what to record in the lock and
 * manifest (`pin`); its text streams, so a dataset's files are fetched and read only as far as the token budget goes.
 */
import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import {
  type DatasetFile,
  datasetFile,
  type ResolvedDataset,
  resolveDataset,
} from '../../checkpoint/hub-dataset.js';
import { type DownloadEvent, sha256File } from '../../checkpoint/resolve.js';
import { jsonlFileRows } from '../../data/dataset-jsonl.js';
import { parquetFileRows } from '../../data/dataset-parquet.js';
import { type FileReader, type RowFile, type RowSource, rowSource } from '../../data/dataset-rows.js';
import { rowText } from '../../data/dataset-text.js';
import { fileChunks } from '../../data/windows.js';
import type { DatasetSpec, TextFrom } from '../../recipe/types.js';
import { InputError } from '../../util/errors.js';

/** What the lock and manifest record about a dataset source. */
export type DataPin =
  | {
      readonly kind: 'hub';
      readonly id: string;
      readonly config: string;
      readonly split: string;
      readonly column: string;
      readonly revision: string;
      readonly sha: string;
      /** Set when the files came from another revision (the Hub's `refs/convert/parquet`). */
      readonly files_revision: string | null;
      readonly files_sha: string;
      /** Repo path → the Hub's id of the file (sha256 for LFS files). */
      readonly files: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'local'; readonly path: string; readonly column: string; readonly sha256: string };

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
  if (d.path !== undefined) return localDataset(d.path, d);
  if (d.id === undefined)
    throw new InputError('dataset: expected `id` (a Hub dataset) or `path` (a local file)');
  const resolved = await resolveDataset(
    { repo: d.id, config: d.config, split: d.split, revision: d.revision },
    { ...(opts.offline ? { offline: true } : {}) },
  );
  return hubDataset(resolved, d, opts.offline === true);
}

function readerFor(path: string): FileReader {
  const ext = extname(path).toLowerCase();
  if (ext === '.parquet') return parquetFileRows;
  if (ext === '.jsonl') return jsonlFileRows;
  throw new InputError(`${path}: expected a .parquet or .jsonl file`);
}

async function localDataset(path: string, d: DatasetSpec): Promise<TextSource> {
  const read = readerFor(path);
  const sha256 = await sha256File(path);
  const rows = rowSource(path, [{ label: path, open: async () => path }], () => read);
  return {
    label: `${basename(path)}[${d.column}]`,
    identity: { sha256, column: d.column, separator: d.separator },
    pin: { kind: 'local', path: basename(path), column: d.column, sha256 },
    chunks: () => rowText(rows, d),
  };
}

function hubDataset(r: ResolvedDataset, d: DatasetSpec, offline: boolean): TextSource {
  const files = Object.fromEntries(r.files.map((f) => [f.path, f.oid]));
  const fromOther = r.filesRevision !== r.revision;
  const pin: DataPin = {
    kind: 'hub',
    id: r.repo,
    config: r.config,
    split: r.split,
    column: d.column,
    revision: r.revision,
    sha: r.sha,
    files_revision: fromOther ? r.filesRevision : null,
    files_sha: r.filesSha,
    files,
  };
  const rows = (onDownload?: (e: DownloadEvent) => void): RowSource => {
    const fetchOpts = {
      ...(offline ? { offline: true } : {}),
      ...(onDownload ? { onProgress: onDownload } : {}),
    };
    const files: RowFile[] = r.files.map((f: DatasetFile) => ({
      label: `dataset ${r.repo}/${f.path}`,
      open: () => datasetFile(r, f, fetchOpts),
    }));
    return rowSource(`dataset ${r.repo}`, files, (f) => readerFor(f.label));
  };
  return {
    label: `${r.repo}@${r.sha.slice(0, 12)} ${r.config}/${r.split}[${d.column}]`,
    identity: {
      dataset: r.repo,
      files_sha: r.filesSha,
      files,
      config: r.config,
      split: r.split,
      column: d.column,
      separator: d.separator,
    },
    pin,
    chunks: (onDownload) => rowText(rows(onDownload), d),
  };
}
