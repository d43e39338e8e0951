/**
 * A local server speaking the slice of the Hugging Face Hub protocol that @huggingface/hub 2.x calls, serving
 * fixture directories as model repos. For tests of anything that takes a repo id (resolve, inspect, plan, convert).
 *
 *   const hub = await startFakeHub({ repos: { 'test/llama': { dir: 'fixtures/golden/llama-gqa' } } });
 *   await resolveCheckpoint('test/llama', { endpoint: hub.url, cacheDir: tmp, env: {} });
 *   hub.requests;        // [{ method: 'GET', path: '/api/models/test/llama/revision/main' }, …] (no query strings)
 *   await hub.close();
 *
 * Repos: `dir` is served as revision `main` (also `HEAD`); `revisions: { v2: otherDir }` adds more. Every revision
 * has a fixed commit sha, `fakeSha(repo, rev)`, accepted wherever a revision is. `token` makes the repo private:
 * requests without `Authorization: Bearer <token>` get 401, with another token 403.
 * Faults (`faults: [{ path: /resolve\/.*config.json/, status: 500, times: 1 }]`): the first rule whose `path`
 * (string = exact request path, RegExp = test) and `method` match a request, and whose `times` (default: forever)
 * are not used up, answers it instead: `status` with a JSON error body, or `drop: true` = send the headers and half
 * the body, then cut the connection; or `truncate: true` = half the body, chunked (no Content-Length), ended
 * cleanly, as a broken proxy might. Drop and truncate rules skip Range requests (the 1-byte probe has no middle).
 * Endpoints: GET /api/models/{repo}/revision/{rev}, GET /api/models/{repo}/tree/{rev} (every file, recursively), POST
 * /api/models/{repo}/paths-info/{rev}, GET|HEAD /{repo}/resolve|raw/{rev}/{path} (Range → 206 + Content-Range,
 * ETag, X-Repo-Commit; missing file → 404 + X-Error-Code: EntryNotFound). Never the xet content type.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadRevision, type RevisionFiles } from './fake-hub-files.js';
import { modelInfoJson, pathsInfo, readBody, sendFile, sendJson, treeEntry } from './fake-hub-responses.js';

export interface FakeRepo {
  dir: string;
  revisions?: Record<string, string>;
  token?: string;
}

export interface FakeFault {
  path: string | RegExp;
  method?: string;
  status?: number;
  drop?: boolean;
  truncate?: boolean;
  times?: number;
}

export interface FakeHubOptions {
  repos: Record<string, FakeRepo>;
  faults?: FakeFault[];
}

export interface FakeHub {
  url: string;
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

/** The commit sha a fake repo reports for a revision: sha1 of the repo id (main) or of `repo@rev`. */
export function fakeSha(repo: string, revision = 'main'): string {
  return createHash('sha1')
    .update(revision === 'main' ? repo : `${repo}@${revision}`)
    .digest('hex');
}

export async function startFakeHub(options: FakeHubOptions): Promise<FakeHub> {
  const requests: FakeHub['requests'] = [];
  const faults = (options.faults ?? []).map((f) => ({ ...f, left: f.times ?? Infinity }));
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push({ method: req.method ?? 'GET', path });
    handle({ req, res, path, options, faults }).catch((err: Error) =>
      sendJson(res, 500, { error: err.message }),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  options: FakeHubOptions;
  faults: (FakeFault & { left: number })[];
}

async function handle(x: Exchange): Promise<void> {
  const fault = takeFault(x);
  if (fault?.status) return sendJson(x.res, fault.status, { error: `injected fault ${fault.status}` });
  const route = matchRoute(x.path);
  if (!route) return sendJson(x.res, 404, { error: 'Not found' });
  const repo = x.options.repos[route.repo];
  if (!repo)
    return sendJson(x.res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
  const denied = authStatus(repo, x.req.headers.authorization);
  if (denied) return sendJson(x.res, denied, { error: 'Invalid credentials in Authorization header' });
  const files = await findRevision(route.repo, repo, route.rev);
  if (!files)
    return sendJson(
      x.res,
      404,
      { error: `Invalid rev id: ${route.rev}` },
      { 'X-Error-Code': 'RevisionNotFound' },
    );
  const body = x.req.method === 'POST' ? await readBody(x.req) : '';
  switch (route.kind) {
    case 'revision':
      return sendJson(x.res, 200, modelInfoJson(route.repo, files));
    case 'tree':
      return sendJson(
        x.res,
        200,
        [...files.files.values()].map((f) => treeEntry(f)),
      );
    case 'paths-info':
      return sendJson(x.res, 200, pathsInfo(files, JSON.parse(body || '{}') as { paths?: string[] }));
    case 'file':
      return sendFile({ req: x.req, res: x.res, files, name: route.file, cut: cutOf(fault) });
  }
}

function cutOf(fault: FakeFault | undefined): 'drop' | 'truncate' | null {
  if (fault?.drop) return 'drop';
  return fault?.truncate ? 'truncate' : null;
}

interface Route {
  kind: 'revision' | 'tree' | 'paths-info' | 'file';
  repo: string;
  rev: string;
  /** The file path of a `file` route; the (ignored) sub-path of a tree listing. */
  file: string;
}

function matchRoute(path: string): Route | null {
  const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree|paths-info)\/([^/]+)(?:\/(.*))?$/.exec(path);
  if (api)
    return {
      kind: api[2] as Route['kind'],
      repo: api[1]!,
      rev: decodeURIComponent(api[3]!),
      file: api[4] ?? '',
    };
  const file = /^\/([^/]+\/[^/]+)\/(?:resolve|raw)\/([^/]+)\/(.+)$/.exec(path);
  if (file)
    return {
      kind: 'file',
      repo: file[1]!,
      rev: decodeURIComponent(file[2]!),
      file: decodeURIComponent(file[3]!),
    };
  return null;
}

function takeFault(x: Exchange): FakeFault | undefined {
  const method = x.req.method ?? 'GET';
  const fault = x.faults.find(
    (f) =>
      f.left > 0 &&
      (f.method ?? method) === method &&
      (typeof f.path === 'string' ? f.path === x.path : f.path.test(x.path)) &&
      !((f.drop || f.truncate) && x.req.headers.range),
  );
  if (fault) fault.left--;
  return fault;
}

function authStatus(repo: FakeRepo, header: string | undefined): number | null {
  if (!repo.token) return null;
  if (!header) return 401;
  return header === `Bearer ${repo.token}` ? null : 403;
}

async function findRevision(name: string, repo: FakeRepo, rev: string): Promise<RevisionFiles | null> {
  const all: Record<string, string> = { ...repo.revisions, main: repo.dir };
  for (const [revName, dir] of Object.entries(all)) {
    const sha = fakeSha(name, revName);
    if (rev === revName || rev === sha || (rev === 'HEAD' && revName === 'main'))
      return loadRevision(dir, sha);
  }
  return null;
}
