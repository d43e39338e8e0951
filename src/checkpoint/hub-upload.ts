/**
 * Publishing to the Hub through @huggingface/hub: what a repo branch holds now, creating the repo or branch, and one
 * commit of files from disk. The commit takes the library's LFS path (`useXet: false`): preupload decides which
 * files go to LFS, `info/lfs/objects/batch` returns an upload action only for objects the Hub lacks, the bytes go
 * by PUT (multipart when the Hub asks), then one NDJSON commit. Files are passed as file-backed Blobs, read lazily
 * (hashing and upload stream from disk: a multi-GB data file never sits in memory). A failed attempt
 * is retried whole; objects that already reached the Hub are skipped by the batch call, so a retry, or a second
 * push after a dropped connection, resumes at file granularity.
 */
import {
  commitIter,
  createBranch,
  createRepo,
  downloadFile,
  HubApiError,
  listFiles,
  modelInfo,
} from '@huggingface/hub';
import { openAsBlob } from 'node:fs';
import { HubError } from '../util/errors.js';
import { DEFAULT_RETRY, type RetryPolicy, redact, withRetry } from './hub-errors.js';
import { hubFetch, quietly } from './hub-fetch.js';

export interface PushTarget {
  readonly repo: string;
  readonly branch: string;
  readonly endpoint: string;
  readonly token: string;
  readonly retry?: RetryPolicy;
}

export interface RemoteFile {
  readonly path: string;
  readonly size: number;
  /** git blob sha1 (of the LFS pointer for LFS files). */
  readonly gitOid: string;
  /** sha256 of the content, for LFS files. */
  readonly lfsOid: string | null;
}

export type RemoteState =
  | { readonly kind: 'no-repo' }
  | { readonly kind: 'no-branch' }
  | { readonly kind: 'branch'; readonly head: string; readonly files: ReadonlyMap<string, RemoteFile> };

export interface CommitInput {
  readonly title: string;
  readonly description?: string;
  /** The head the change was computed against: the Hub refuses the commit if the branch moved since. */
  readonly parent: string;
  readonly uploads: readonly { readonly path: string; readonly file: string }[];
  readonly deletes: readonly string[];
  readonly onFile?: (path: string) => void;
}

const fetchFor = (t: PushTarget) => hubFetch({ endpoint: t.endpoint, token: t.token });
const repoOf = (t: PushTarget) => ({ type: 'model' as const, name: t.repo });

/** The branch's head commit and every file on it, or what is missing. */
export async function remoteState(t: PushTarget): Promise<RemoteState> {
  try {
    return await withRetry(async () => {
      const fetch = fetchFor(t);
      const info = await modelInfo({
        name: t.repo,
        revision: t.branch,
        hubUrl: t.endpoint,
        additionalFields: ['sha'],
        fetch,
      });
      const files = new Map<string, RemoteFile>();
      const listing = listFiles({
        repo: repoOf(t),
        revision: info.sha,
        recursive: true,
        hubUrl: t.endpoint,
        fetch,
      });
      for await (const e of listing) {
        if (e.type !== 'file') continue;
        files.set(e.path, { path: e.path, size: e.size, gitOid: e.oid ?? '', lfsOid: e.lfs?.oid ?? null });
      }
      return { kind: 'branch' as const, head: info.sha!, files };
    }, t.retry ?? DEFAULT_RETRY);
  } catch (err) {
    const missing = notFoundKind(err);
    if (missing) return { kind: missing };
    throw uploadError(err, t, 'read');
  }
}

/** Creates the repo (`private` only applies to a new one) or the branch, whichever is missing. */
export async function ensureBranch(t: PushTarget, state: RemoteState, isPrivate: boolean): Promise<void> {
  const fetch = fetchFor(t);
  try {
    if (state.kind === 'no-repo') {
      await createRepo({
        repo: repoOf(t),
        visibility: isPrivate ? 'private' : undefined,
        hubUrl: t.endpoint,
        fetch,
        // The token travels in hubFetch's Authorization header; the library's types insist on credentials.
      } as Parameters<typeof createRepo>[0]);
    }
    if (t.branch !== 'main' && state.kind !== 'branch') {
      await createBranch({ repo: repoOf(t), branch: t.branch, hubUrl: t.endpoint, fetch });
    }
  } catch (err) {
    if (err instanceof HubApiError && err.statusCode === 409) return; // created meanwhile: fine
    throw uploadError(err, t, 'create');
  }
}

/** One commit; returns its oid. */
export async function commitFiles(t: PushTarget, c: CommitInput): Promise<string> {
  // Node's file-backed Blobs stream pull by pull. The library's own lazy blob for `file:` URLs streams through
  // Readable.toWeb, which on Node 20 reads ahead without backpressure: a 2 GiB file sat in memory (2.2 GB RSS).
  const blobs = await Promise.all(c.uploads.map((u) => openAsBlob(u.file)));
  const operations = [
    ...c.uploads.map((u, i) => ({ operation: 'addOrUpdate' as const, path: u.path, content: blobs[i]! })),
    ...c.deletes.map((path) => ({ operation: 'delete' as const, path })),
  ];
  const attempt = async () => {
    const events = commitIter({
      repo: repoOf(t),
      operations,
      title: c.title,
      ...(c.description ? { description: c.description } : {}),
      branch: t.branch,
      parentCommit: c.parent,
      hubUrl: t.endpoint,
      fetch: fetchFor(t),
      useXet: false,
    });
    for (let step = await events.next(); ; step = await events.next()) {
      if (step.done) return step.value?.commit.oid ?? '';
      const e = step.value;
      if (e.event === 'fileProgress' && e.state === 'uploading' && e.progress === 1) c.onFile?.(e.path);
    }
  };
  try {
    return await quietly(() => withRetry(attempt, t.retry ?? DEFAULT_RETRY));
  } catch (err) {
    throw uploadError(err, t, 'commit');
  }
}

/** A small file of the branch as text (null when absent), e.g. the moefy.json of the previous push. */
export async function remoteText(t: PushTarget, head: string, path: string): Promise<string | null> {
  try {
    const blob = await downloadFile({
      repo: repoOf(t),
      path,
      revision: head,
      hubUrl: t.endpoint,
      fetch: fetchFor(t),
    });
    return blob ? await blob.text() : null;
  } catch (err) {
    if (err instanceof HubApiError && err.statusCode === 404) return null;
    throw uploadError(err, t, 'read');
  }
}

function notFoundKind(err: unknown): 'no-repo' | 'no-branch' | null {
  if (!(err instanceof HubApiError) || err.statusCode !== 404) return null;
  return /Invalid rev id|RevisionNotFound/i.test(`${err.message} ${JSON.stringify(err.data ?? {})}`)
    ? 'no-branch'
    : 'no-repo';
}

/** One line: which repo, what failed, what to do; the token is never part of it. */
function uploadError(err: unknown, t: PushTarget, step: 'read' | 'create' | 'commit'): HubError {
  const where = `${t.repo}@${t.branch} on ${t.endpoint}`;
  const status = err instanceof HubApiError ? err.statusCode : null;
  let message: string;
  if (status === 401) {
    message = `${where}: the Hub rejected the token (HTTP 401); set HF_TOKEN or pass --token with a valid write token`;
  } else if (status === 403) {
    message = `${where}: the token may not write here (HTTP 403); use a token with write access to ${t.repo.split('/')[0]}`;
  } else if (status === 412) {
    message = `${where}: the branch moved while pushing (HTTP 412); run moefy push again`;
  } else {
    const reason = status !== null ? `HTTP ${status}: ${firstLine(err)}` : describe(err);
    const verb = step === 'commit' ? 'upload' : step === 'create' ? 'repo creation' : 'listing';
    message = `${where}: ${verb} failed (${reason}); files already uploaded are kept by the Hub, run moefy push again to resume`;
  }
  return new HubError(redact(message, t.token), { cause: err });
}

function firstLine(err: unknown): string {
  return ((err as Error).message ?? String(err)).split(/\. URL: /)[0]!.split('\n')[0]!;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
