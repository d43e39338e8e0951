/**
 * `moefy push` against the local Hub-protocol server: a real kjv-llama output, real HTTP through @huggingface/hub's
 * LFS commit path (preupload, LFS batch, PUT or multipart, NDJSON commit), faults injected by the server.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { listOutputFiles } from '../src/app/push/output-files.js';
import { push } from '../src/app/push/push.js';
import { createProgress } from '../src/app/shared/progress.js';
import { HubError, InputError } from '../src/util/errors.js';
import { runCliAsync } from './support/cli.js';
import { type FakeHub, type FakeHubOptions, startFakeHub } from './support/fake-hub.js';
import { memoryFile } from './support/fake-hub-store.js';
import { removeTempDirs, tempDir } from './support/hub-cache-check.js';
import { convertKjv } from './support/kjv-convert.js';

const TOKEN = 'hf_pushtoken_secret_0123456789';
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
let out: string;
let hub: FakeHub;

beforeAll(async () => {
  out = convertKjv(await tempDir('moefy-push-out-'));
}, 600_000);
afterEach(async () => hub?.close());
afterAll(removeTempDirs);

async function startHub(extra: Partial<FakeHubOptions> = {}): Promise<FakeHub> {
  hub = await startFakeHub({ repos: {}, writeTokens: { [TOKEN]: ['me'] }, ...extra });
  return hub;
}

function pushTo(repo: string, o: { dir?: string; token?: string; revision?: string } = {}) {
  return push({
    outDir: o.dir ?? out,
    repo,
    token: o.token ?? TOKEN,
    endpoint: hub.url,
    env: { HF_HUB_CACHE: join(out, '..', 'hf-cache') },
    progress: createProgress({ quiet: true }),
    ...(o.revision ? { revision: o.revision } : {}),
  });
}

async function repoFiles(repo: string, branch = 'main'): Promise<Map<string, Buffer>> {
  const r = hub.store.get('model', repo)!;
  const head = hub.store.head(r, branch)!;
  const files = new Map<string, Buffer>();
  for (const [path, f] of head.files) files.set(path, await f.read());
  return files;
}

describe('moefy push', () => {
  it('commits the output directory plus a model card; a second push makes no commit', async () => {
    await startHub();
    const first = await pushTo('me/kjv-moe');
    expect(first.commit).toMatch(/^[0-9a-f]{40}$/);
    const files = await repoFiles('me/kjv-moe');
    const local = await listOutputFiles(out);
    expect([...files.keys()].sort()).toEqual(
      [...local.map((f) => f.path), 'README.md', '.gitattributes'].sort(),
    );
    for (const f of local) expect(files.get(f.path)!.equals(readFileSync(f.file)), f.path).toBe(true);

    const card = files.get('README.md')!.toString('utf8');
    const front = parse(/^---\n([\s\S]*?)\n---\n/.exec(card)![1]!) as Record<string, unknown>;
    expect(front).toMatchObject({
      library_name: 'transformers.js',
      pipeline_tag: 'text-generation',
      tags: expect.arrayContaining(['onnx', 'moe', 'moefy', 'transformers.js']),
    });
    const image = /!\[[^\]]*\]\(([^)]+)\)/.exec(card)![1]!;
    expect(files.has(image)).toBe(true);

    // The card's onnxruntime-node snippet runs on the pushed files (placed under node_modules so its imports resolve).
    const code = /### onnxruntime-node\n\n```js\n([\s\S]*?)```/.exec(card)![1]!;
    const dir = join(repoRoot, 'node_modules', '.moefy-test');
    mkdirSync(dir, { recursive: true });
    const script = join(dir, `card-snippet-${process.pid}.mjs`);
    writeFileSync(
      script,
      code.replace("const dir = 'kjv-moe';", `const dir = ${JSON.stringify(out)};`) +
        'console.log(JSON.stringify({ logits: logits.dims, expert_index: expert_index.dims }));\n',
    );
    const ran = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    rmSync(script);
    expect(ran.stderr).toBe('');
    expect(JSON.parse(ran.stdout)).toEqual({ logits: [1, 16, 256], expert_index: [4, 1, 16] });

    const commits = hub.store.get('model', 'me/kjv-moe')!.branches.get('main')!.length;
    const puts = hub.requests.filter((q) => q.method === 'PUT').length;
    const second = await pushTo('me/kjv-moe');
    expect(second.commit).toBeNull();
    expect(second.changes.uploads).toEqual([]);
    expect(hub.store.get('model', 'me/kjv-moe')!.branches.get('main')!.length).toBe(commits);
    expect(hub.requests.filter((q) => q.method === 'PUT').length).toBe(puts);
  });

  it('uploads large objects multipart when the Hub asks, and commits to a new branch', async () => {
    await startHub({ lfsChunkSize: 1 << 20 });
    const r = await pushTo('me/parts', { revision: 'v1' });
    expect(r.commit).not.toBeNull();
    const parts = hub.requests.filter((q) => /\/part\/\d+$/.test(q.path));
    expect(parts.length).toBeGreaterThan(4);
    const files = await repoFiles('me/parts', 'v1');
    expect(files.get('model.onnx.data')!.equals(readFileSync(join(out, 'model.onnx.data')))).toBe(true);
  });

  it('resumes after a dropped upload: the retry re-sends only objects the Hub lacks', async () => {
    await startHub({ faults: [{ path: /^\/__lfs\//, method: 'PUT', drop: true, times: 1 }] });
    const r = await pushTo('me/dropped');
    expect(r.commit).not.toBeNull();
    const files = await repoFiles('me/dropped');
    expect(files.get('model.onnx.data')!.equals(readFileSync(join(out, 'model.onnx.data')))).toBe(true);
    const oids = hub.requests.filter((q) => q.method === 'PUT').map((q) => q.path.split('/')[2]);
    expect(oids.length).toBeGreaterThan(new Set(oids).size); // the dropped object was sent again…
    expect(hub.store.redundantUploads).toBe(0); // …and no object the Hub already held
  });

  it('retries a 5xx and reports one that persists, with what to do', async () => {
    await startHub({ faults: [{ path: '/api/models/me/flaky/commit/main', status: 503, times: 1 }] });
    expect((await pushTo('me/flaky')).commit).not.toBeNull();
    await hub.close();
    await startHub({ faults: [{ path: '/api/models/me/down/commit/main', status: 500 }] });
    const run = pushTo('me/down');
    await expect(run).rejects.toThrow(HubError);
    await expect(pushTo('me/down')).rejects.toThrow(
      `me/down@main on ${hub.url}: upload failed (HTTP 500: injected fault 500); files already uploaded are kept by the Hub, run moefy push again to resume`,
    );
  });

  it('names a rejected or unauthorized token without printing it', async () => {
    await startHub();
    const bad = 'hf_not_a_valid_token_987654321';
    const rejected = pushTo('me/x', { token: bad });
    await expect(rejected).rejects.toThrow(HubError);
    await expect(pushTo('me/x', { token: bad })).rejects.toThrow(
      `me/x@main on ${hub.url}: the Hub rejected the token (HTTP 401); set HF_TOKEN or pass --token with a valid write token`,
    );
    await expect(pushTo('other/x')).rejects.toThrow(
      `other/x@main on ${hub.url}: the token may not write here (HTTP 403); use a token with write access to other`,
    );
    const cli = await runCliAsync(['push', out, 'me/x', '--token', bad, '--quiet'], {
      env: { HF_ENDPOINT: hub.url, HF_TOKEN: undefined, CI: 'true' },
    });
    expect(cli.code).toBe(2);
    expect(`${cli.stdout}${cli.stderr}`).not.toContain(bad);
  });

  it('refuses without a token, and refuses an output that does not match its manifest', async () => {
    await startHub();
    const cli = await runCliAsync(['push', out, 'me/y', '--quiet'], {
      env: { HF_ENDPOINT: hub.url, HF_TOKEN: undefined, CI: 'true' },
    });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toBe(
      'moefy: moefy push me/y: no Hub token; set HF_TOKEN or pass --token with a token that has write access\n',
    );

    const copy = join(await tempDir('moefy-push-bad-'), 'out');
    cpSync(out, copy, { recursive: true });
    const data = join(copy, 'routers.safetensors');
    const bytes = await readFile(data);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    writeFileSync(data, bytes);
    const before = hub.requests.length;
    const run = pushTo('me/y', { dir: copy });
    await expect(run).rejects.toThrow(InputError);
    await expect(pushTo('me/y', { dir: copy })).rejects.toThrow(
      /does not match its moefy\.json: routers\.safetensors changed \(sha256 [0-9a-f]{12} → [0-9a-f]{12}\); rerun `moefy convert --force`$/,
    );
    expect(hub.requests.length).toBe(before);
  });

  it('removes what an earlier push of moefy output left, and keeps files someone else added', async () => {
    await startHub();
    await pushTo('me/stale');
    const repo = hub.store.get('model', 'me/stale')!;
    const head = hub.store.head(repo, 'main')!;
    const files = new Map(head.files).set('notes.md', memoryFile('notes.md', 'mine'));
    repo.branches.get('main')!.push({ oid: 'e'.repeat(40), title: 'user edit', parent: head.oid, files });

    const copy = join(await tempDir('moefy-push-nodense-'), 'out');
    cpSync(out, copy, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(copy, 'moefy.json'), 'utf8'));
    for (const f of ['dense.onnx', 'dense.onnx.data']) {
      delete manifest.files[f];
      rmSync(join(copy, f));
    }
    manifest.graphs = manifest.graphs.filter((g: { role: string }) => g.role !== 'dense');
    writeFileSync(join(copy, 'moefy.json'), JSON.stringify(manifest));
    const r = await pushTo('me/stale', { dir: copy });
    expect(r.changes.deletes).toEqual(['dense.onnx', 'dense.onnx.data']);
    expect(r.changes.kept).toEqual(['notes.md']);
    expect(r.changes.uploads.map((f) => f.path)).toEqual(['moefy.json']); // the card does not list files
    const now = await repoFiles('me/stale');
    expect(now.has('dense.onnx')).toBe(false);
    expect(now.get('notes.md')!.toString()).toBe('mine');
  });
});
