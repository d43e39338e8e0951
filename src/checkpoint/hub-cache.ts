/**
 * The Python-compatible Hub cache, read without any network: `models--org--name/{blobs, snapshots/<sha>,
 * refs/<rev>, .no_exist/<sha>/<file>}`. @huggingface/hub has no offline mode and writes neither refs nor
 * `.no_exist` markers, so both live here.
 */
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OPTIONAL_FILES, readShardNames, selectFiles } from './checkpoint-files.js';

const COMMIT_SHA = /^[0-9a-f]{40}$/;

/** Hub repo kinds moefy reads: checkpoints are model repos, calibration/eval text can come from dataset repos. */
export type RepoType = 'model' | 'dataset';

export interface RepoAt {
  cacheDir: string;
  repo: string;
  revision: string;
  /** Default 'model'. */
  type?: RepoType;
}

export interface CachedSnapshot {
  sha: string;
  dir: string;
  /** Every file moefy needs, all present in `dir`. */
  files: string[];
}

export function isCommitSha(revision: string): boolean {
  return COMMIT_SHA.test(revision);
}

export function repoFolder(cacheDir: string, repo: string, type: RepoType = 'model'): string {
  return join(cacheDir, `${type}s--${repo.split('/').join('--')}`);
}

export function snapshotDir(cacheDir: string, repo: string, sha: string, type: RepoType = 'model'): string {
  return join(repoFolder(cacheDir, repo, type), 'snapshots', sha);
}

/** The commit a revision points to in the cache: a sha is its own commit, a branch or tag goes through refs/. */
export async function readRef({ cacheDir, repo, revision, type }: RepoAt): Promise<string | null> {
  if (isCommitSha(revision)) return revision;
  const text = await readFile(join(repoFolder(cacheDir, repo, type), 'refs', revision), 'utf8').catch(
    () => null,
  );
  const sha = text?.trim() ?? '';
  return isCommitSha(sha) ? sha : null;
}

/** Written last, after every file is in place, so a ref never points to a snapshot we did not finish. */
export async function writeRef({ cacheDir, repo, revision, type }: RepoAt, sha: string): Promise<void> {
  if (isCommitSha(revision)) return;
  const path = join(repoFolder(cacheDir, repo, type), 'refs', revision);
  await mkdir(join(path, '..'), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, sha);
  await rename(temp, path);
}

/** Python's marker for "this file does not exist at this commit": lets a later run skip asking the Hub. */
export async function writeNoExist(
  cacheDir: string,
  repo: string,
  sha: string,
  names: string[],
): Promise<void> {
  const dir = join(repoFolder(cacheDir, repo), '.no_exist', sha);
  await mkdir(dir, { recursive: true });
  await Promise.all(names.map((name) => writeFile(join(dir, name), '')));
}

/** The cached snapshot of `repo@revision` when it holds everything moefy needs, else null. */
export async function findCachedSnapshot(at: RepoAt): Promise<CachedSnapshot | null> {
  const sha = await readRef(at);
  if (sha === null) return null;
  const dir = snapshotDir(at.cacheDir, at.repo, sha);
  const names = await presentFiles(dir);
  let selection;
  try {
    selection = selectFiles(names, at.repo, (detail) => new Error(detail));
  } catch {
    return null;
  }
  const noExist = join(repoFolder(at.cacheDir, at.repo), '.no_exist', sha);
  for (const name of OPTIONAL_FILES) {
    if (!names.has(name) && !(await isFile(join(noExist, name)))) return null;
  }
  const shards = selection.index
    ? await readShardNames(join(dir, selection.index), `${at.repo}@${sha}/${selection.index}`)
    : [];
  if (shards.some((s) => !names.has(s))) return null;
  return { sha, dir, files: [...selection.base, ...shards] };
}

/** Names in a snapshot whose link resolves to a regular file (a dangling link to a deleted blob is absent). */
async function presentFiles(dir: string): Promise<Set<string>> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const checks = await Promise.all(
    entries.map(async (name) => ((await isFile(join(dir, name))) ? name : null)),
  );
  return new Set(checks.filter((n): n is string => n !== null));
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}
