/**
 * Online resolution of `repo@revision` into the cache: the commit sha and file list from the Hub, then only the
 * files moefy needs, each through @huggingface/hub's `downloadFileToCacheDir` pinned to the sha (it streams into
 * `blobs/<etag>.incomplete` and renames, so a final blob name is never partial; we delete the `.incomplete` left
 * by a failed attempt and check each size against the listing).
 */
import { downloadFileToCacheDir, listFiles, modelInfo } from '@huggingface/hub';
import { readdir, realpath, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError } from '../util/errors.js';
import { OPTIONAL_FILES, readShardNames, selectFiles } from './checkpoint-files.js';
import {
  type CachedSnapshot,
  isCommitSha,
  repoFolder,
  type RepoType,
  snapshotDir,
  writeNoExist,
  writeRef,
} from './hub-cache.js';
import { type RetryPolicy, toHubError, withRetry } from './hub-errors.js';
import { hubFetch, quietly } from './hub-fetch.js';

export interface DownloadEvent {
  file: string;
  bytes: number;
  total: number;
  done: boolean;
}

export interface HubSession {
  repo: string;
  /** Default 'model'. */
  type?: RepoType;
  revision: string;
  endpoint: string;
  cacheDir: string;
  token?: string;
  retry: RetryPolicy;
  onProgress?: (e: DownloadEvent) => void;
}

export async function downloadSnapshot(s: HubSession): Promise<CachedSnapshot> {
  return quietly(async () => {
    const { sha, sizes } = await lookUpRevision(s);
    const where = `${s.repo}@${s.revision}`;
    const selection = selectFiles(new Set(sizes.keys()), where, (detail) => new HubError(detail));
    for (const name of selection.base) await fetchFile(s, { sha, name, size: sizes.get(name)! });
    const dir = snapshotDir(s.cacheDir, s.repo, sha);
    const shards = selection.index
      ? await readShardNames(join(dir, selection.index), `${where}/${selection.index}`)
      : [];
    for (const name of shards) {
      const size = sizes.get(name);
      if (size === undefined)
        throw new HubError(`${where}: ${selection.index} names shard ${name}, which the repo does not have`);
      await fetchFile(s, { sha, name, size });
    }
    await writeNoExist(
      s.cacheDir,
      s.repo,
      sha,
      OPTIONAL_FILES.filter((n) => !sizes.has(n)),
    );
    await writeRef({ cacheDir: s.cacheDir, repo: s.repo, revision: s.revision }, sha);
    return { sha, dir, files: [...selection.base, ...shards] };
  });
}

/** The commit sha of the revision, and the size of every top-level file at that commit. */
async function lookUpRevision(s: HubSession): Promise<{ sha: string; sizes: Map<string, number> }> {
  const fetch = hubFetch({ endpoint: s.endpoint, token: s.token });
  try {
    return await withRetry(async () => {
      const info = await modelInfo({
        name: s.repo,
        revision: s.revision,
        hubUrl: s.endpoint,
        additionalFields: ['sha'],
        fetch,
      });
      if (!isCommitSha(info.sha ?? ''))
        throw new HubError(`${s.repo}@${s.revision}: the Hub answered without a commit sha`);
      const sizes = new Map<string, number>();
      const repo = { type: 'model' as const, name: s.repo };
      for await (const entry of listFiles({ repo, revision: info.sha, hubUrl: s.endpoint, fetch })) {
        if (entry.type === 'file') sizes.set(entry.path, entry.size);
      }
      return { sha: info.sha, sizes };
    }, s.retry);
  } catch (err) {
    throw toHubError(err, s, s.retry);
  }
}

export interface FileAt {
  sha: string;
  name: string;
  size: number;
}

/** One file of `repo@sha` into the cache (retried, size-checked); returns its snapshot path. */
export async function fetchFile(s: HubSession, { sha, name, size }: FileAt): Promise<string> {
  const type = s.type ?? 'model';
  const blobs = join(repoFolder(s.cacheDir, s.repo, type), 'blobs');
  const before = new Set(await incompleteBlobs(blobs));
  const onBytes = (bytes: number, total: number) => s.onProgress?.({ file: name, bytes, total, done: false });
  const fetch = hubFetch({ endpoint: s.endpoint, token: s.token, onBytes });
  let path = '';
  const download = async () => {
    const repo = { type, name: s.repo };
    path = await downloadFileToCacheDir({
      repo,
      path: name,
      revision: sha,
      hubUrl: s.endpoint,
      cacheDir: s.cacheDir,
      fetch,
    });
    await checkSize(path, size);
  };
  const cleanup = async () => {
    const fresh = (await incompleteBlobs(blobs)).filter((f) => !before.has(f));
    await Promise.all(fresh.map((f) => rm(join(blobs, f), { force: true })));
  };
  try {
    await withRetry(download, s.retry, cleanup);
  } catch (err) {
    throw toHubError(err, { ...s, file: name }, s.retry);
  }
  s.onProgress?.({ file: name, bytes: size, total: size, done: true });
  return path;
}

/** A blob shorter or longer than the listing says is dropped (blob and link) and the attempt counts as failed. */
async function checkSize(link: string, expected: number): Promise<void> {
  const actual = (await stat(link)).size;
  if (actual === expected) return;
  await rm(await realpath(link), { force: true });
  await rm(link, { force: true });
  throw new Error(`received ${actual} bytes, expected ${expected}`);
}

async function incompleteBlobs(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.incomplete'));
}
