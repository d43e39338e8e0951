/** Response bodies and file transfers of the fake Hub (see fake-hub.ts for the protocol it speaks). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RepoFile, RevisionFiles } from './fake-hub-files.js';

export interface FileExchange {
  req: IncomingMessage;
  res: ServerResponse;
  files: RevisionFiles;
  name: string;
  cut: 'drop' | 'truncate' | null;
}

export function modelInfoJson(repo: string, files: RevisionFiles): object {
  const siblings = [...files.files.keys()].map((rfilename) => ({ rfilename }));
  return {
    _id: files.sha.slice(0, 24),
    id: repo,
    sha: files.sha,
    siblings,
    private: false,
    gated: false,
    downloads: 0,
    likes: 0,
    lastModified: '2024-01-01T00:00:00.000Z',
    pipeline_tag: 'text-generation',
    tags: [],
  };
}

export function treeEntry(f: RepoFile): object {
  const lfs = f.lfs ? { lfs: { oid: f.sha256, size: f.size, pointerSize: 134 } } : {};
  return { type: 'file', oid: f.gitOid, size: f.size, path: f.path, ...lfs };
}

export function pathsInfo(files: RevisionFiles, body: { paths?: string[] }): object[] {
  const commit = { id: files.sha, title: 'fixture', date: '2024-01-01T00:00:00.000Z' };
  return (body.paths ?? [])
    .map((p) => files.files.get(p))
    .filter((f): f is RepoFile => f !== undefined)
    .map((f) => ({ ...treeEntry(f), lastCommit: commit, securityFileStatus: { status: 'safe' } }));
}

/** `cut`: 'drop' = headers and half the body, then a dead socket; 'truncate' = half the body, chunked, ended. */
export async function sendFile(x: FileExchange): Promise<void> {
  const { req, res, files, name, cut } = x;
  const f = files.files.get(name);
  if (!f) return sendJson(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
  const content = await f.read();
  const range = parseRange(req.headers.range, f.size);
  const headers = {
    'Content-Type': 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    ETag: `"${f.lfs ? f.sha256 : f.gitOid}"`,
    'X-Repo-Commit': files.sha,
  };
  if (req.headers.range && !range) return sendJson(res, 416, { error: 'Range not satisfiable' });
  const [start, end] = range ?? [0, f.size - 1];
  const slice = content.subarray(start, end + 1);
  const half = slice.subarray(0, slice.length >> 1);
  if (cut === 'truncate') return void res.writeHead(200, headers).end(half);
  res.writeHead(range ? 206 : 200, {
    ...headers,
    'Content-Length': slice.length,
    ...(range && { 'Content-Range': `bytes ${start}-${end}/${f.size}` }),
  });
  if (req.method === 'HEAD') return void res.end();
  if (cut !== 'drop') return void res.end(slice);
  res.write(half, () => res.socket?.destroy());
}

function parseRange(header: string | undefined, size: number): [number, number] | null {
  const m = header ? /^bytes=(\d+)-(\d*)$/.exec(header) : null;
  if (!m) return null;
  const start = Number(m[1]);
  const end = Math.min(m[2] ? Number(m[2]) : size - 1, size - 1);
  return start <= end ? [start, end] : null;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}
