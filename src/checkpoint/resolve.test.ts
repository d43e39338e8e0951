import { createHash } from 'node:crypto';
import { cp, readFile, readlink, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeSha, type FakeHub, type FakeHubOptions, startFakeHub } from '../../test/support/fake-hub.js';
import { cacheProblems, removeTempDirs, tempDir } from '../../test/support/hub-cache-check.js';
import { CheckpointFormatError, HubError, InputError } from '../util/errors.js';
import { type DownloadEvent, type ResolveOptions, resolveCheckpoint, sha256File } from './resolve.js';

const GQA = resolve('fixtures/golden/llama-gqa');
const QWEN = resolve('fixtures/golden/qwen2-tied');
const SHARDED = resolve('fixtures/golden/llama-sharded-bf16');
const KJV = resolve('fixtures/kjv-llama');

let hub: FakeHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  await removeTempDirs();
});

async function serve(repos: FakeHubOptions['repos']): Promise<FakeHub> {
  hub = await startFakeHub({ repos });
  return hub;
}

async function online(cacheDir: string, extra: ResolveOptions = {}): Promise<ResolveOptions> {
  return { endpoint: hub!.url, cacheDir, env: {}, ...extra };
}

describe('local directories', () => {
  it('resolves a relative dir in place with the files moefy needs', async () => {
    const r = await resolveCheckpoint('fixtures/golden/llama-gqa');
    expect(r.source).toEqual({ kind: 'local', path: GQA });
    expect(r.dir).toBe(GQA);
    expect(r.files.map((f) => f.name)).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'generation_config.json',
      'model.safetensors',
    ]);
    expect(r.files[4]).toEqual({
      name: 'model.safetensors',
      path: join(GQA, 'model.safetensors'),
      size: 688_904,
    });
  });

  it('lists every shard of a sharded dir', async () => {
    const r = await resolveCheckpoint(SHARDED);
    expect(r.files.map((f) => f.name).slice(-3)).toEqual([
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
  });

  it('rejects a dir without config.json', async () => {
    const dir = await tempDir();
    await expect(resolveCheckpoint(dir)).rejects.toThrow(InputError);
    await expect(resolveCheckpoint(dir)).rejects.toThrow(`${dir}: no config.json`);
  });

  it('rejects a dir with only pytorch_model.bin', async () => {
    const dir = await copyFixture(GQA, ['model.safetensors']);
    await writeFile(join(dir, 'pytorch_model.bin'), 'x');
    const err = await resolveCheckpoint(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointFormatError);
    expect((err as Error).message).toBe(
      `${dir}: has only pytorch_model.bin weights; moefy requires safetensors`,
    );
  });

  it.each([
    ['nope', 'nope: no such directory and not a repo id'],
    ['a/b/c', 'a/b/c: no such directory and not a repo id'],
    ['./missing/dir', './missing/dir: no such directory and not a repo id'],
    ['org/-bad', 'org/-bad: no such directory and not a repo id'],
    ['fixtures/golden/llama-gqa/config.json', 'fixtures/golden/llama-gqa/config.json: is a file'],
    ['org/name@a/../b', "org/name@a/../b: invalid revision 'a/../b'"],
  ])('rejects %s explaining both accepted forms', async (ref, start) => {
    const err = await resolveCheckpoint(ref, { offline: true, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message.startsWith(start)).toBe(true);
    if (!start.includes('revision')) expect((err as Error).message).toContain("a Hub repo id 'org/name'");
  });
});

describe('a mistyped local path', () => {
  it('is refused at once with the nearest directory, never sent to the Hub', async () => {
    // No Hub is configured and none is reachable: a Hub attempt would fail differently, after retries.
    const err = await resolveCheckpoint('fixtures/kjv-lama', { env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      'fixtures/kjv-lama: no such directory; did you mean fixtures/kjv-llama? (fixtures/ is a local directory)',
    );
  });
});

describe('Hub download into the cache', () => {
  it('downloads byte-identical files in the Python cache layout and writes refs/main', async () => {
    await serve({ 'test/kjv': { dir: KJV } });
    const cacheDir = await tempDir();
    const events: DownloadEvent[] = [];
    const debug = vi.spyOn(console, 'debug');
    const r = await resolveCheckpoint(
      'test/kjv',
      await online(cacheDir, { onProgress: (e) => events.push(e) }),
    );
    const sha = fakeSha('test/kjv');
    const repoDir = join(cacheDir, 'models--test--kjv');
    expect(r.source).toEqual({ kind: 'hub', repo: 'test/kjv', revision: 'main', sha, endpoint: hub!.url });
    expect(r.dir).toBe(join(repoDir, 'snapshots', sha));
    for (const f of r.files) expect(await sameBytes(f.path, join(KJV, f.name))).toBe(true);
    expect(await readFile(join(repoDir, 'refs', 'main'), 'utf8')).toBe(sha);
    const weightsSha = createHash('sha256')
      .update(await readFile(join(KJV, 'model.safetensors')))
      .digest('hex');
    expect(await readlink(join(r.dir, 'model.safetensors'))).toBe(`../../blobs/${weightsSha}`);
    expect(await readdir(join(repoDir, '.no_exist', sha))).toEqual(['special_tokens_map.json']);
    expect(r.files.map((f) => f.name)).not.toContain('calibration.txt');
    expect(hub!.requests.some((q) => q.path.endsWith('/eval.txt'))).toBe(false);
    expect(await cacheProblems(cacheDir)).toEqual([]);
    expect(debug).not.toHaveBeenCalled();
    debug.mockRestore();
    const done = events.filter((e) => e.done).map((e) => e.file);
    expect(done).toEqual(r.files.map((f) => f.name));
    const weights = events.filter((e) => e.file === 'model.safetensors' && !e.done);
    expect(weights.at(-1)).toMatchObject({ bytes: r.files.at(-1)!.size, total: r.files.at(-1)!.size });
  });

  it('resolves a second time through refs/ with zero requests', async () => {
    await serve({ 'test/gqa': { dir: GQA } });
    const cacheDir = await tempDir();
    const first = await resolveCheckpoint('test/gqa', await online(cacheDir));
    const before = hub!.requests.length;
    const second = await resolveCheckpoint('test/gqa', await online(cacheDir));
    expect(hub!.requests.length).toBe(before);
    expect(second).toEqual(first);
  });

  it('downloads every shard a sharded index names', async () => {
    await serve({ 'test/sharded': { dir: SHARDED } });
    const cacheDir = await tempDir();
    const r = await resolveCheckpoint('test/sharded', await online(cacheDir));
    const shards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    for (const name of shards) {
      expect(await sameBytes(join(r.dir, name), join(SHARDED, name))).toBe(true);
    }
    expect(hub!.requests.some((q) => q.path.endsWith('/reference.safetensors'))).toBe(false);
  });

  it('rejects an index whose shard path would leave the snapshot, before fetching any shard', async () => {
    const dir = await copyFixture(SHARDED, []);
    const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8'));
    index.weight_map['lm_head.weight'] = '../../../evil.safetensors';
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    await serve({ 'test/evil': { dir } });
    const err = await resolveCheckpoint('test/evil', await online(await tempDir())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointFormatError);
    expect((err as Error).message).toBe(
      'test/evil@main/model.safetensors.index.json: weight_map.lm_head.weight: shard "../../../evil.safetensors" is not a plain file name in the checkpoint dir',
    );
    expect(hub!.requests.some((q) => q.path.includes('model-0000'))).toBe(false);
  });

  it('names a shard the index lists but the repo lacks', async () => {
    await serve({ 'test/half': { dir: await copyFixture(SHARDED, ['model-00002-of-00002.safetensors']) } });
    const err = await resolveCheckpoint('test/half', await online(await tempDir())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect((err as Error).message).toBe(
      'test/half@main: model.safetensors.index.json names shard model-00002-of-00002.safetensors, which the repo does not have',
    );
  });

  it('refuses a repo with only pytorch_model.bin', async () => {
    const dir = await copyFixture(GQA, ['model.safetensors']);
    await writeFile(join(dir, 'pytorch_model.bin'), 'x');
    await serve({ 'test/pt': { dir } });
    const err = await resolveCheckpoint('test/pt', await online(await tempDir())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointFormatError);
    expect((err as Error).message).toBe(
      'test/pt@main: has only pytorch_model.bin weights; moefy requires safetensors',
    );
  });

  it('takes cache dir, endpoint and token from the environment', async () => {
    hub = await startFakeHub({ repos: { 'test/private': { dir: QWEN, token: 'hf_envtoken' } } });
    const home = await tempDir();
    const env = { HF_HOME: home, HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_envtoken' };
    const r = await resolveCheckpoint('test/private', { env });
    expect(r.dir).toBe(join(home, 'hub', 'models--test--private', 'snapshots', fakeSha('test/private')));
  });

  it('sha256File streams a file to its hex sha256', async () => {
    const path = join(KJV, 'model.safetensors');
    expect(await sha256File(path)).toBe(
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    );
  });
});

describe('revisions and offline mode', () => {
  it('pins revisions to their own commits and snapshots', async () => {
    await serve({ 'test/m': { dir: GQA, revisions: { v2: QWEN } } });
    const cacheDir = await tempDir();
    const main = await resolveCheckpoint('test/m', await online(cacheDir));
    const v2 = await resolveCheckpoint('test/m@v2', await online(cacheDir));
    const override = await resolveCheckpoint('test/m@v2', await online(cacheDir, { revision: 'main' }));
    expect(main.source).toMatchObject({ revision: 'main', sha: fakeSha('test/m') });
    expect(v2.source).toMatchObject({ revision: 'v2', sha: fakeSha('test/m', 'v2') });
    expect(override.dir).toBe(main.dir);
    expect(await sameBytes(join(v2.dir, 'config.json'), join(QWEN, 'config.json'))).toBe(true);
    const refs = join(cacheDir, 'models--test--m', 'refs');
    expect((await readdir(refs)).sort()).toEqual(['main', 'v2']);
  });

  it('treats a 40-hex revision as a commit: no ref written, cached afterwards', async () => {
    await serve({ 'test/m': { dir: GQA, revisions: { v2: QWEN } } });
    const cacheDir = await tempDir();
    const sha = fakeSha('test/m', 'v2');
    const r = await resolveCheckpoint(`test/m@${sha}`, await online(cacheDir));
    expect(r.source).toMatchObject({ revision: sha, sha });
    expect(await readdir(join(cacheDir, 'models--test--m')).then((d) => d.includes('refs'))).toBe(false);
    const before = hub!.requests.length;
    await resolveCheckpoint(`test/m@${sha}`, await online(cacheDir));
    expect(hub!.requests.length).toBe(before);
  });

  it('serves a cached revision offline, by option or HF_HUB_OFFLINE=1', async () => {
    await serve({ 'test/gqa': { dir: GQA } });
    const cacheDir = await tempDir();
    const first = await resolveCheckpoint('test/gqa', await online(cacheDir));
    await hub!.close();
    hub = undefined;
    const offline = await resolveCheckpoint('test/gqa', { cacheDir, offline: true, env: {} });
    expect(offline.files).toEqual(first.files);
    expect(offline.source).toEqual({ ...first.source, endpoint: 'https://huggingface.co' });
    const viaEnv = await resolveCheckpoint('test/gqa', {
      env: { HF_HUB_CACHE: cacheDir, HF_HUB_OFFLINE: '1' },
    });
    expect(viaEnv.dir).toBe(first.dir);
  });

  it('fails offline on a cache miss, naming repo and revision, with zero requests', async () => {
    await serve({ 'test/gqa': { dir: GQA } });
    const cacheDir = await tempDir();
    const err = await resolveCheckpoint('test/gqa@v1', await online(cacheDir, { offline: true })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HubError);
    expect((err as Error).message).toBe(
      `test/gqa@v1: not in the Hub cache at ${cacheDir} and offline mode is on (--offline or HF_HUB_OFFLINE); online, moefy would fetch config.json, tokenizer.json, tokenizer_config.json, generation_config.json (if present), special_tokens_map.json (if present) and model.safetensors (or model.safetensors.index.json and its shards); run once online or drop --offline`,
    );
    expect(hub!.requests).toEqual([]);
  });
});

/** Buffer.equals: vitest's toEqual walks a multi-MB Buffer element by element (tens of seconds). */
async function sameBytes(a: string, b: string): Promise<boolean> {
  return (await readFile(a)).equals(await readFile(b));
}

/** A writable copy of a fixture dir, without the named files. */
async function copyFixture(from: string, without: string[]): Promise<string> {
  const dir = await tempDir('moefy-repo-');
  await cp(from, dir, { recursive: true, filter: (src) => !without.some((n) => src.endsWith(`/${n}`)) });
  return dir;
}
