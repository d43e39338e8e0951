/**
 * A local server speaking the slice of the Hugging Face Hub protocol that @huggingface/hub 2.x calls, serving
 * fixture directories as model and dataset repos, and accepting pushes. For tests of anything that takes a repo id
 * (resolve, inspect, plan, convert, calibration datasets) or writes one (push).
 *
 *   const hub = await startFakeHub({ repos: { 'test/llama': { dir: 'fixtures/golden/llama-gqa' } } });
 *   await resolveCheckpoint('test/llama', { endpoint: hub.url, cacheDir: tmp, env: {} });
 *   hub.requests;        // [{ method: 'GET', path: '/api/models/test/llama/revision/main' }, …] (no query strings)
 *   await hub.close();
 *
 * Repos: `dir` is served as revision `main` (also `HEAD`); `revisions: { v2: otherDir }` adds more (a name may hold
 * slashes, e.g. `refs/convert/parquet`, requested URL-encoded). Every revision has a fixed commit sha,
 * `fakeSha(repo, rev)`, accepted wherever a revision is. `token` makes the repo private: requests without
 * `Authorization: Bearer <token>` get 401, with another token 403. `datasets` are served the same way under
 * /api/datasets/… and /datasets/{repo}/resolve/….
 * Pushes (fake-hub-upload.ts): `writeTokens: { hf_x: ['org'] }` lets a token create and commit to repos of `org`;
 * pushed repos are then readable like fixtures (`hub.store` holds their commits).
 * Faults (`faults: [{ path: /resolve\/.*config.json/, status: 500, times: 1 }]`): the first rule whose `path`
 * (string = exact request path, RegExp = test) and `method` match a request, and whose `times` (default: forever)
 * are not used up, answers it instead: `status` with a JSON error body, or `drop: true` = send the headers and half
 * the body, then cut the connection (on an upload: read a little of the body, then cut); or `truncate: true` = half
 * the body, chunked (no Content-Length), ended cleanly, as a broken proxy might. Drop and truncate rules skip Range
 * requests (the 1-byte probe has no middle).
 * Read endpoints: GET /api/{models|datasets}/{repo}/revision/{rev}, GET /api/…/tree/{rev}[/{path}] (every file,
 * recursively, filtered by path), POST /api/…/paths-info/{rev}, GET|HEAD /[datasets/]{repo}/resolve|raw/{rev}/{path}
 * (Range → 206 + Content-Range, ETag, X-Repo-Commit; missing file → 404 + X-Error-Code: EntryNotFound). Never the
 * xet content type.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadRevision, type RevisionFiles } from './fake-hub-files.js';
import { modelInfoJson, pathsInfo, readBody, sendFile, sendJson, treeEntry } from './fake-hub-responses.js';
import { FakeStore, type RepoType } from './fake-hub-store.js';
import { handleUpload } from './fake-hub-upload.js';

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
  datasets?: Record<string, FakeRepo>;
  faults?: FakeFault[];
  /** token → namespaces it may create repos in and push to ('*' = any). */
  writeTokens?: Record<string, string[]>;
  /** LFS objects above this many bytes are uploaded multipart, in parts of this size (default 64 MiB). */
  lfsChunkSize?: number;
}

export interface FakeHub {
  url: string;
  requests: { method: string; path: string }[];
  store: FakeStore;
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
  const store = new FakeStore();
  let base = '';
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push({ method: req.method ?? 'GET', path });
    handle({ req, res, path, options, faults, store, base }).catch((err: Error) =>
      res.headersSent ? res.destroy() : sendJson(res, 500, { error: err.message }),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    requests,
    store,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => {
          store.close();
          done();
        });
      }),
  };
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  options: FakeHubOptions;
  faults: (FakeFault & { left: number })[];
  store: FakeStore;
  base: string;
}

async function handle(x: Exchange): Promise<void> {
  const fault = takeFault(x);
  if (fault?.status) return sendJson(x.res, fault.status, { error: `injected fault ${fault.status}` });
  const upload = await handleUpload({
    ...x,
    writeTokens: x.options.writeTokens ?? {},
    lfsChunkSize: x.options.lfsChunkSize ?? 64 * 1024 * 1024,
    drop: fault?.drop === true,
  });
  if (upload) return;
  const route = matchRoute(x.path);
  if (!route) return sendJson(x.res, 404, { error: 'Not found' });
  const found = await findRevision(x, route);
  if (typeof found === 'number') {
    const code = found === 404 ? 'RepoNotFound' : undefined;
    return sendJson(
      x.res,
      found,
      { error: found === 404 ? 'Repository not found' : 'Invalid credentials in Authorization header' },
      code ? { 'X-Error-Code': code } : {},
    );
  }
  if (!found)
    return sendJson(
      x.res,
      404,
      { error: `Invalid rev id: ${route.rev}` },
      { 'X-Error-Code': 'RevisionNotFound' },
    );
  const files = found;
  const body = x.req.method === 'POST' ? await readBody(x.req) : '';
  switch (route.kind) {
    case 'revision':
      return sendJson(x.res, 200, modelInfoJson(route.repo, files));
    case 'tree':
      return sendJson(
        x.res,
        200,
        [...files.files.values()]
          .filter((f) => route.file === '' || f.path.startsWith(`${route.file}/`))
          .map((f) => treeEntry(f)),
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
  type: RepoType;
  repo: string;
  rev: string;
  /** The file path of a `file` route; the folder of a tree listing ('' = the root). */
  file: string;
}

function matchRoute(path: string): Route | null {
  const api =
    /^\/api\/(models|datasets)\/([^/]+\/[^/]+)\/(revision|tree|paths-info)\/([^/]+)(?:\/(.*))?$/.exec(path);
  if (api)
    return {
      kind: api[3] as Route['kind'],
      type: api[1] === 'models' ? 'model' : 'dataset',
      repo: api[2]!,
      rev: decodeURIComponent(api[4]!),
      file: decodeURIComponent(api[5] ?? ''),
    };
  const file = /^\/(datasets\/)?([^/]+\/[^/]+)\/(?:resolve|raw)\/([^/]+)\/(.+)$/.exec(path);
  if (file)
    return {
      kind: 'file',
      type: file[1] ? 'dataset' : 'model',
      repo: file[2]!,
      rev: decodeURIComponent(file[3]!),
      file: decodeURIComponent(file[4]!),
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

function authStatus(token: string | undefined, header: string | undefined): number | null {
  if (!token) return null;
  if (!header) return 401;
  return header === `Bearer ${token}` ? null : 403;
}

/** The files of the route's revision; a status when the repo is missing or refused; null for an unknown revision. */
async function findRevision(x: Exchange, route: Route): Promise<RevisionFiles | number | null> {
  const fixtures = route.type === 'model' ? x.options.repos : (x.options.datasets ?? {});
  const repo = fixtures[route.repo];
  if (repo) {
    const denied = authStatus(repo.token, x.req.headers.authorization);
    if (denied) return denied;
    const all: Record<string, string> = { ...repo.revisions, main: repo.dir };
    for (const [revName, dir] of Object.entries(all)) {
      const sha = fakeSha(route.repo, revName);
      if (route.rev === revName || route.rev === sha || (route.rev === 'HEAD' && revName === 'main'))
        return loadRevision(dir, sha);
    }
    return null;
  }
  const pushed = x.store.get(route.type, route.repo);
  if (!pushed) return 404;
  // A private pushed repo answers only to a token that may write to it (the owner's).
  if (pushed.private && !x.options.writeTokens?.[x.req.headers.authorization?.slice(7) ?? '']) return 401;
  return x.store.revision(pushed, route.rev);
}
