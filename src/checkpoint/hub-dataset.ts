/**
 * A Hub dataset split (`org/name`, config, split, revision) → the pinned list of its files, each fetched into the
 * Python-compatible cache (`datasets--org--name/`) only when a reader reaches it, so a token budget that a first
 * file covers never downloads the rest. Online: the revision's commit and file list from the Hub, the card for its
 * `configs`; when the repo's own files do not hold the split and the revision is the default branch, the Hub's
 * auto-converted Parquet branch `refs/convert/parquet`. The resolved list is recorded in the cache beside the refs
 * (`.moefy-splits/<sha>/<config>/<split>.json`: the Hub cache keeps no listings), so offline mode and reruns
 * resolve with zero requests, as for models.
 */
import { datasetInfo, listFiles } from '@huggingface/hub';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError, InputError } from '../util/errors.js';
import { cardMetadata } from './card-metadata.js';
import { type Layout, READABLE, splitFiles } from './dataset-layout.js';
import { type DatasetFile, readRecord, type SplitRecord, writeRecord } from './dataset-record.js';
import { isCommitSha, readRef, snapshotDir, writeRef } from './hub-cache.js';
import { type DownloadEvent, fetchFile } from './hub-download.js';
import { DEFAULT_RETRY, toHubError, withRetry } from './hub-errors.js';
import { hubFetch, quietly } from './hub-fetch.js';
import { type HubSettings, type HubSettingsInput, hubSettings } from './hub-settings.js';

export const CONVERTED_PARQUET = 'refs/convert/parquet';
const TYPE = 'dataset' as const;

export interface DatasetRef {
  readonly repo: string;
  readonly config: string;
  readonly split: string;
  readonly revision: string;
}

export type { DatasetFile } from './dataset-record.js';

export interface ResolvedDataset extends DatasetRef {
  /** The commit the revision resolved to. */
  readonly sha: string;
  /** Where the files were read: the requested revision, or `refs/convert/parquet` at `filesSha`. */
  readonly filesRevision: string;
  readonly filesSha: string;
  readonly layout: Layout;
  /** The split's files in read order; `oid` is the sha256 the Hub lists for LFS files (git blob sha1 otherwise). */
  readonly files: readonly DatasetFile[];
  readonly endpoint: string;
}

export interface DatasetOptions extends HubSettingsInput {
  readonly onProgress?: (e: DownloadEvent) => void;
}

export async function resolveDataset(ref: DatasetRef, opts: DatasetOptions = {}): Promise<ResolvedDataset> {
  const s = hubSettings(opts);
  const at = { cacheDir: s.cacheDir, repo: ref.repo, revision: ref.revision, type: TYPE };
  const sha = await readRef(at);
  const record = sha === null ? null : await readRecord(s, ref, sha);
  if (record && sha) return resolved(ref, sha, record, s);
  if (s.offline) {
    throw new HubError(
      `dataset ${ref.repo}@${ref.revision} (${ref.config}/${ref.split}): not in the Hub cache at ${s.cacheDir} and offline mode is on (--offline or HF_HUB_OFFLINE); run once online or drop --offline`,
    );
  }
  return quietly(async () => {
    const main = await lookUp(s, ref.repo, ref.revision);
    const listed = await findSplit(s, ref, main);
    await writeRecord(s, ref, main.sha, listed);
    await writeRef(at, main.sha);
    if (listed.revision !== ref.revision) await writeRef({ ...at, revision: listed.revision }, listed.sha);
    return resolved(ref, main.sha, listed, s);
  });
}

/** The local path of one of the split's files, fetched on first use (offline: cache only). */
export async function datasetFile(
  d: ResolvedDataset,
  file: DatasetFile,
  opts: DatasetOptions = {},
): Promise<string> {
  const s = hubSettings(opts);
  const path = join(snapshotDir(s.cacheDir, d.repo, d.filesSha, TYPE), file.path);
  if (existsSync(path)) return path;
  if (s.offline) {
    throw new HubError(
      `dataset ${d.repo}@${d.filesRevision}/${file.path}: not in the Hub cache at ${s.cacheDir} and offline mode is on; run once online to fetch it`,
    );
  }
  return quietly(() =>
    fetchFile(
      {
        ...s,
        repo: d.repo,
        type: TYPE,
        revision: d.filesRevision,
        retry: DEFAULT_RETRY,
        onProgress: opts.onProgress,
      },
      { sha: d.filesSha, name: file.path, size: file.size },
    ),
  );
}

function resolved(ref: DatasetRef, sha: string, r: SplitRecord, s: HubSettings): ResolvedDataset {
  return {
    ...ref,
    sha,
    filesRevision: r.revision,
    filesSha: r.sha,
    layout: r.layout,
    files: r.files,
    endpoint: s.endpoint,
  };
}

interface Listing {
  revision: string;
  sha: string;
  names: Map<string, DatasetFile>;
}

async function lookUp(s: HubSettings, repo: string, revision: string): Promise<Listing> {
  const fetch = hubFetch({ endpoint: s.endpoint, token: s.token });
  try {
    return await withRetry(async () => {
      const info = await datasetInfo({
        name: repo,
        revision,
        hubUrl: s.endpoint,
        additionalFields: ['sha'],
        fetch,
      });
      const sha = (info as { sha?: string }).sha ?? '';
      if (!isCommitSha(sha))
        throw new HubError(`dataset ${repo}@${revision}: the Hub answered without a commit sha`);
      const names = new Map<string, DatasetFile>();
      const listing = listFiles({
        repo: { type: TYPE, name: repo },
        revision: sha,
        recursive: true,
        hubUrl: s.endpoint,
        fetch,
      });
      for await (const e of listing) {
        if (e.type === 'file')
          names.set(e.path, { path: e.path, size: e.size, oid: e.lfs?.oid ?? e.oid ?? '' });
      }
      return { revision, sha, names };
    }, DEFAULT_RETRY);
  } catch (err) {
    throw toHubError(err, { repo: `dataset ${repo}`, revision, endpoint: s.endpoint, token: s.token });
  }
}

/** The repo's own files for the split, else (default branch only) the auto-converted Parquet branch's. */
async function findSplit(s: HubSettings, ref: DatasetRef, main: Listing): Promise<SplitRecord> {
  const convert = ref.revision === CONVERTED_PARQUET;
  const card = convert ? null : await readCard(s, ref.repo, main);
  const own = splitFiles([...main.names.keys()], ref, convert ? 'convert' : 'repo', card);
  if (own.length > 0) return record(main, convert ? 'convert' : 'repo', own);
  if (!convert && ref.revision === 'main') {
    const parquet = await lookUp(s, ref.repo, CONVERTED_PARQUET).catch(() => null);
    const found = parquet ? splitFiles([...parquet.names.keys()], ref, 'convert', null) : [];
    if (parquet && found.length > 0) return record(parquet, 'convert', found);
  }
  const readable = [...main.names.keys()].filter((n) => READABLE.test(n)).slice(0, 8);
  throw new InputError(
    `dataset ${ref.repo}@${ref.revision}: no Parquet or JSON Lines files for config '${ref.config}', split '${ref.split}'` +
      (readable.length > 0 ? ` (readable files: ${readable.join(', ')})` : '') +
      (ref.revision === 'main' ? '' : `; try revision '${CONVERTED_PARQUET}'`),
  );
}

function record(l: Listing, layout: Layout, paths: string[]): SplitRecord {
  return { revision: l.revision, sha: l.sha, layout, files: paths.map((p) => l.names.get(p)!) };
}

async function readCard(s: HubSettings, repo: string, l: Listing): Promise<Record<string, unknown> | null> {
  const readme = l.names.get('README.md');
  if (!readme) return null;
  const session = { ...s, repo, type: TYPE, revision: l.revision, retry: DEFAULT_RETRY };
  const path = await fetchFile(session, { sha: l.sha, name: 'README.md', size: readme.size });
  return cardMetadata(await readFile(path, 'utf8'));
}
