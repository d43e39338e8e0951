/**
 * A table of rows as the stages read it: a local .jsonl/.parquet file, or a Hub dataset split resolved to a pinned
 * commit whose files are fetched only when the reader reaches them. Each table says what it is (`identity`: content
 * hashes and the resolved commit, never paths or names, for cache keys) and what the lock and manifest record
 * (`pin`). Calibration/eval text (text-source.ts) and downstream tasks read their data through it.
 */
import { basename, extname } from 'node:path';
import { datasetFile, type ResolvedDataset, resolveDataset } from '../../checkpoint/hub-dataset.js';
import { type DownloadEvent, sha256File } from '../../checkpoint/resolve.js';
import { jsonlFileRows } from '../../data/dataset-jsonl.js';
import { parquetFileRows } from '../../data/dataset-parquet.js';
import {
  type FileReader,
  type ReadOptions,
  type Row,
  type RowFile,
  rowSource,
} from '../../data/dataset-rows.js';
import { InputError } from '../../util/errors.js';

/** What the lock and manifest record about a table. */
export type TablePin =
  | {
      readonly kind: 'hub';
      readonly id: string;
      readonly config: string;
      readonly split: string;
      readonly revision: string;
      readonly sha: string;
      /** Set when the files came from another revision (the Hub's `refs/convert/parquet`). */
      readonly files_revision: string | null;
      readonly files_sha: string;
      /** Repo path → the Hub's id of the file (sha256 for LFS files). */
      readonly files: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'local'; readonly path: string; readonly sha256: string };

/** Exactly one of `id` (a Hub dataset) and `path` (a local file, absolute). */
export interface TableSpec {
  readonly id?: string | undefined;
  readonly path?: string | undefined;
  readonly config: string;
  readonly split: string;
  readonly revision: string;
}

export interface TableSource {
  /** For messages and reports: `org/name@<commit12> config/split`, or the file name. */
  readonly label: string;
  readonly identity: Readonly<Record<string, unknown>>;
  readonly pin: TablePin;
  /** The rows in order; `onDownload` reports the files a Hub dataset fetches on the way. */
  rows(opts?: ReadOptions & { onDownload?: (e: DownloadEvent) => void }): AsyncGenerator<Row>;
}

export interface OpenTableOptions {
  readonly offline?: boolean;
}

export async function openTable(spec: TableSpec, opts: OpenTableOptions = {}): Promise<TableSource> {
  if (spec.path !== undefined) return localTable(spec.path);
  if (spec.id === undefined)
    throw new InputError('dataset: expected `id` (a Hub dataset) or `path` (a local file)');
  const resolved = await resolveDataset(
    { repo: spec.id, config: spec.config, split: spec.split, revision: spec.revision },
    { ...(opts.offline ? { offline: true } : {}) },
  );
  return hubTable(resolved, opts.offline === true);
}

export function readerFor(path: string): FileReader {
  const ext = extname(path).toLowerCase();
  if (ext === '.parquet') return parquetFileRows;
  if (ext === '.jsonl') return jsonlFileRows;
  throw new InputError(`${path}: expected a .parquet or .jsonl file`);
}

async function localTable(path: string): Promise<TableSource> {
  const read = readerFor(path);
  const sha256 = await sha256File(path);
  const source = rowSource(path, [{ label: path, open: async () => path }], () => read);
  return {
    label: basename(path),
    identity: { sha256 },
    pin: { kind: 'local', path: basename(path), sha256 },
    rows: (o = {}) => source.rows(o),
  };
}

function hubTable(r: ResolvedDataset, offline: boolean): TableSource {
  const files = Object.fromEntries(r.files.map((f) => [f.path, f.oid]));
  const fromOther = r.filesRevision !== r.revision;
  return {
    label: `${r.repo}@${r.sha.slice(0, 12)} ${r.config}/${r.split}`,
    identity: { dataset: r.repo, files_sha: r.filesSha, files, config: r.config, split: r.split },
    pin: {
      kind: 'hub',
      id: r.repo,
      config: r.config,
      split: r.split,
      revision: r.revision,
      sha: r.sha,
      files_revision: fromOther ? r.filesRevision : null,
      files_sha: r.filesSha,
      files,
    },
    rows: ({ onDownload, ...read } = {}) => {
      const fetchOpts = {
        ...(offline ? { offline: true } : {}),
        ...(onDownload ? { onProgress: onDownload } : {}),
      };
      const rowFiles: RowFile[] = r.files.map((f) => ({
        label: `dataset ${r.repo}/${f.path}`,
        open: () => datasetFile(r, f, fetchOpts),
      }));
      return rowSource(`dataset ${r.repo}`, rowFiles, (f) => readerFor(f.label)).rows(read);
    },
  };
}
