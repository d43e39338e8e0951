/**
 * The fake Hub's write endpoints, as @huggingface/hub 2.x calls them on its LFS path (`useXet: false`):
 *   POST /api/repos/create                                  {name, organization, type, visibility} → {url, id}; 409 if it exists
 *   POST /api/{type}s/{repo}/branch/{branch}                {startingPoint?} → 200
 *   POST /api/{type}s/{repo}/preupload/{branch}             {files: [{path, size, sample}]} → {files: [{path, uploadMode}]}
 *   POST /{repo}.git/info/lfs/objects/batch (datasets/ prefix for datasets)
 *        {operation: upload, objects: [{oid, size}]} → {transfer: basic, objects: [{oid, size, actions?: {upload}}]}
 *        (no `actions` when the object is already stored: what makes an interrupted push resume)
 *   PUT  /__lfs/{oid}/{upload}                              the object's bytes (basic transfer), verified by sha256
 *   PUT  /__lfs/{oid}/{upload}/part/{n}, POST …/complete     multipart transfer (objects over `lfsChunkSize`)
 *   POST /api/{type}s/{repo}/commit/{branch}                NDJSON: header, file (base64), lfsFile, deletedFile
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { RepoFile } from './fake-hub-files.js';
import { readBody, sendJson } from './fake-hub-responses.js';
import { commitOid, type FakeStore, memoryFile, type RepoType, type StoredRepo } from './fake-hub-store.js';

export interface UploadContext {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  base: string;
  store: FakeStore;
  /** token → namespaces it may write to ('*' = any). */
  writeTokens: Record<string, string[]>;
  /** Objects larger than this go multipart, in parts of this size. */
  lfsChunkSize: number;
  /** Cut the connection after reading part of the request body (a dropped upload). */
  drop: boolean;
}

const LFS_NAMES = /\.(onnx|data|safetensors|bin|png|parquet|gguf)$/;
const LFS_SIZE = 10 * 1024 * 1024;

/** Handles the request when it is a write endpoint; false otherwise. */
export async function handleUpload(x: UploadContext): Promise<boolean> {
  const m = x.req.method ?? 'GET';
  if (m === 'POST' && x.path === '/api/repos/create') return (void (await createRepo(x)), true);
  const lfsPut = /^\/__lfs\/([0-9a-f]{64})\/(\w+)(?:\/part\/(\d+))?$/.exec(x.path);
  if (m === 'PUT' && lfsPut) return (void (await putObject(x, lfsPut[1]!, lfsPut[2]!, lfsPut[3])), true);
  const complete = /^\/__lfs\/([0-9a-f]{64})\/(\w+)\/complete$/.exec(x.path);
  if (m === 'POST' && complete) return (void (await completeMultipart(x, complete[1]!, complete[2]!)), true);
  const batch = /^\/(datasets\/)?([^/]+\/[^/]+)\.git\/info\/lfs\/objects\/batch$/.exec(x.path);
  if (m === 'POST' && batch)
    return (void (await lfsBatch(x, batch[1] ? 'dataset' : 'model', batch[2]!)), true);
  const api = /^\/api\/(models|datasets)\/([^/]+\/[^/]+)\/(preupload|commit|branch)\/([^/]+)$/.exec(x.path);
  if (m === 'POST' && api) {
    const type: RepoType = api[1] === 'models' ? 'model' : 'dataset';
    const repo = writableRepo(x, type, api[2]!);
    if (!repo) return true;
    const branch = decodeURIComponent(api[4]!);
    if (api[3] === 'preupload') await preupload(x, branch);
    else if (api[3] === 'branch') await createBranch(x, repo, branch);
    else await commit(x, repo, branch);
    return true;
  }
  return false;
}

/** 401 without a token, 403 with one that may not write to `namespace`; null when allowed. */
function denied(x: UploadContext, namespace: string): number | null {
  const header = x.req.headers.authorization;
  if (!header?.startsWith('Bearer ')) return 401;
  const scopes = x.writeTokens[header.slice('Bearer '.length)];
  if (!scopes) return 401; // not a token the Hub knows
  return scopes.includes('*') || scopes.includes(namespace) ? null : 403;
}

function writableRepo(x: UploadContext, type: RepoType, id: string): StoredRepo | null {
  const status = denied(x, id.split('/')[0]!);
  if (status) {
    sendJson(x.res, status, { error: status === 401 ? 'Unauthorized' : 'You do not have write access' });
    return null;
  }
  const repo = x.store.get(type, id);
  if (!repo) sendJson(x.res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
  return repo ?? null;
}

async function createRepo(x: UploadContext): Promise<void> {
  const body = JSON.parse(await readBody(x.req)) as {
    name: string;
    organization: string;
    type: RepoType;
    visibility?: string;
  };
  const status = denied(x, body.organization);
  if (status) return sendJson(x.res, status, { error: 'You are not allowed to create a repo here' });
  const id = `${body.organization}/${body.name}`;
  if (x.store.get(body.type, id))
    return sendJson(x.res, 409, { error: 'You already created this model repo' });
  x.store.create(body.type, id, body.visibility === 'private');
  sendJson(x.res, 200, { url: `${x.base}/${id}`, name: id, id: commitOid().slice(0, 24) });
}

async function createBranch(x: UploadContext, repo: StoredRepo, branch: string): Promise<void> {
  const body = JSON.parse((await readBody(x.req)) || '{}') as { startingPoint?: string };
  if (repo.branches.has(branch))
    return sendJson(x.res, 409, { error: `Reference already exists: ${branch}` });
  const from = x.store.revision(repo, body.startingPoint ?? 'main');
  if (!from) return sendJson(x.res, 404, { error: 'Invalid rev id' }, { 'X-Error-Code': 'RevisionNotFound' });
  const parent = [...repo.branches.values()].flat().find((c) => c.oid === from.sha)!;
  repo.branches.set(branch, [parent]);
  sendJson(x.res, 200, {});
}

async function preupload(x: UploadContext, _branch: string): Promise<void> {
  const body = JSON.parse(await readBody(x.req)) as {
    files: { path: string; size: number; sample: string }[];
  };
  const files = body.files.map((f) => {
    const binary = Buffer.from(f.sample, 'base64').includes(0);
    const lfs = LFS_NAMES.test(f.path) || f.size >= LFS_SIZE || binary;
    return { path: f.path, uploadMode: lfs ? 'lfs' : 'regular', shouldIgnore: false };
  });
  sendJson(x.res, 200, { files, commitOid: null });
}

async function lfsBatch(x: UploadContext, type: RepoType, id: string): Promise<void> {
  if (!writableRepo(x, type, id)) return;
  const body = JSON.parse(await readBody(x.req)) as { objects: { oid: string; size: number }[] };
  // One answer per object: two files with the same bytes are one upload.
  const unique = [...new Map(body.objects.map((o) => [o.oid, o])).values()];
  const objects = unique.map(({ oid, size }) => {
    const upload = `${x.base}/__lfs/${oid}/${commitOid().slice(0, 16)}`;
    if (x.store.lfs.has(oid)) return { oid, size, authenticated: true };
    if (size <= x.lfsChunkSize) {
      return { oid, size, authenticated: true, actions: { upload: { href: upload } } };
    }
    const parts = Math.ceil(size / x.lfsChunkSize);
    const header: Record<string, string> = { chunk_size: String(x.lfsChunkSize) };
    for (let i = 1; i <= parts; i++) header[String(i).padStart(5, '0')] = `${upload}/part/${i}`;
    return {
      oid,
      size,
      authenticated: true,
      actions: { upload: { href: `${upload}/complete`, header } },
    };
  });
  sendJson(x.res, 200, { transfer: 'basic', objects }, { 'Content-Type': 'application/vnd.git-lfs+json' });
}

/** Streams the body to disk (hashing as it goes); a whole object must match its oid. */
async function putObject(x: UploadContext, oid: string, upload: string, part?: string): Promise<void> {
  const target = join(x.store.dir, part ? `${oid}.${upload}.part${part}` : `${oid}.${upload}.incoming`);
  if (x.store.lfs.has(oid)) x.store.redundantUploads++;
  if (x.drop) return dropUpload(x);
  const hash = createHash('sha256');
  let size = 0;
  x.req.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
  });
  await pipeline(x.req, createWriteStream(target));
  const digest = hash.digest('hex');
  if (part) return void x.res.writeHead(200, { ETag: `"${digest}"`, 'Content-Length': 0 }).end();
  if (digest !== oid) {
    await rm(target, { force: true });
    return sendJson(x.res, 400, { error: `sha256 mismatch: expected ${oid}, got ${digest}` });
  }
  await storeObject(x.store, oid, target, size);
  x.res.writeHead(200, { 'Content-Length': 0 }).end();
}

async function completeMultipart(x: UploadContext, oid: string, upload: string): Promise<void> {
  const body = JSON.parse(await readBody(x.req)) as { parts: { partNumber: number; etag: string }[] };
  const target = join(x.store.dir, `${oid}.${upload}.incoming`);
  await writeFile(target, '');
  const hash = createHash('sha256');
  let size = 0;
  for (const { partNumber } of [...body.parts].sort((a, b) => a.partNumber - b.partNumber)) {
    const partPath = join(x.store.dir, `${oid}.${upload}.part${partNumber}`);
    const bytes = await readFile(partPath).catch(() => null);
    if (!bytes) return sendJson(x.res, 400, { error: `part ${partNumber} was never uploaded` });
    hash.update(bytes);
    size += bytes.length;
    await writeFile(target, bytes, { flag: 'a' });
    await rm(partPath);
  }
  if (hash.digest('hex') !== oid) return sendJson(x.res, 400, { error: `sha256 mismatch for ${oid}` });
  await storeObject(x.store, oid, target, size);
  sendJson(x.res, 200, {});
}

async function storeObject(store: FakeStore, oid: string, incoming: string, size: number): Promise<void> {
  const path = join(store.dir, oid);
  await rename(incoming, path);
  store.lfs.set(oid, { path, size });
}

/** Reads a little of the body, then kills the socket: the client sees its upload cut mid-stream. */
function dropUpload(x: UploadContext): Promise<void> {
  return new Promise((done) => {
    x.req.once('data', () => {
      x.req.socket.destroy();
      done();
    });
  });
}

interface NdjsonLine {
  key: 'header' | 'file' | 'lfsFile' | 'deletedFile';
  value: {
    path?: string;
    content?: string;
    oid?: string;
    size?: number;
    summary?: string;
    parentCommit?: string;
  };
}

async function commit(x: UploadContext, repo: StoredRepo, branch: string): Promise<void> {
  const lines = (await readBody(x.req))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as NdjsonLine);
  const head = x.store.head(repo, branch);
  if (!head)
    return sendJson(
      x.res,
      404,
      { error: `Invalid rev id: ${branch}` },
      { 'X-Error-Code': 'RevisionNotFound' },
    );
  const header = lines.find((l) => l.key === 'header')?.value;
  if (header?.parentCommit && header.parentCommit !== head.oid) {
    return sendJson(x.res, 412, { error: 'A commit has happened since. Please refresh and try again.' });
  }
  const files = new Map<string, RepoFile>(head.files);
  for (const { key, value } of lines) {
    const path = value.path!;
    if (key === 'file') files.set(path, memoryFile(path, Buffer.from(value.content!, 'base64')));
    else if (key === 'deletedFile') files.delete(path);
    else if (key === 'lfsFile') {
      const stored = x.store.lfs.get(value.oid!);
      if (stored?.size !== value.size) {
        return sendJson(x.res, 422, { error: `LFS object ${value.oid} of ${path} was not uploaded` });
      }
      files.set(path, x.store.lfsFile(path, value.oid!, value.size!));
    }
  }
  const oid = commitOid();
  repo.branches.get(branch)!.push({ oid, title: header?.summary ?? '', parent: head.oid, files });
  sendJson(x.res, 200, {
    success: true,
    commitOid: oid,
    commitUrl: `${x.base}/${repo.id}/commit/${oid}`,
    hookOutput: '',
  });
}
