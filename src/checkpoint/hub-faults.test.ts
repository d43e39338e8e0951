import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type FakeFault,
  type FakeHub,
  type FakeRepo,
  fakeSha,
  startFakeHub,
} from '../../test/support/fake-hub.js';
import { cacheProblems, removeTempDirs, tempDir } from '../../test/support/hub-cache-check.js';
import { HubError } from '../util/errors.js';
import { resolveCheckpoint } from './resolve.js';

const GQA = resolve('fixtures/golden/llama-gqa');
const SHARDED = resolve('fixtures/golden/llama-sharded-bf16');
const TOKEN = 'hf_fakeSecretToken123';
const SHA = fakeSha('test/m');

let hub: FakeHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  await removeTempDirs();
});

interface Attempt {
  cacheDir: string;
  result: Awaited<ReturnType<typeof resolveCheckpoint>> | undefined;
  error: Error | undefined;
}

/** Resolves `ref` against a fake Hub serving `repo` as test/m with the given faults, into a fresh cache. */
async function attempt(
  ref: string,
  faults: FakeFault[],
  repo: FakeRepo = { dir: GQA },
  token?: string,
): Promise<Attempt> {
  hub = await startFakeHub({ repos: { 'test/m': repo }, faults });
  const cacheDir = await tempDir();
  try {
    const result = await resolveCheckpoint(ref, { endpoint: hub.url, cacheDir, token, env: {} });
    return { cacheDir, result, error: undefined };
  } catch (err) {
    return { cacheDir, result: undefined, error: err as Error };
  }
}

function count(path: string | RegExp): number {
  return hub!.requests.filter((q) => (typeof path === 'string' ? q.path === path : path.test(q.path))).length;
}

async function refs(cacheDir: string): Promise<string[]> {
  return readdir(join(cacheDir, 'models--test--m', 'refs')).catch(() => []);
}

describe('authentication', () => {
  it('sends the token as a Bearer header', async () => {
    const { result } = await attempt('test/m', [], { dir: GQA, token: TOKEN }, TOKEN);
    expect(result?.source).toMatchObject({ sha: SHA });
  });

  it('401 without a token says to set HF_TOKEN', async () => {
    const { error, cacheDir } = await attempt('test/m', [], { dir: GQA, token: TOKEN });
    expect(error).toBeInstanceOf(HubError);
    expect(error!.message).toBe(
      `test/m@main: access denied by ${hub!.url} (HTTP 401); the repo may be private, gated or misspelled: set HF_TOKEN to a token with access`,
    );
    expect(await cacheProblems(cacheDir)).toEqual([]);
  });

  it('403 with a wrong token never prints the token', async () => {
    const wrong = 'hf_wrongButSecret456';
    const { error } = await attempt('test/m', [], { dir: GQA, token: TOKEN }, wrong);
    expect(error).toBeInstanceOf(HubError);
    expect(error!.message).toContain('(HTTP 403); HF_TOKEN is set but has no access to it');
    expect(error!.message).not.toContain(wrong);
    expect(String(error!.cause)).not.toContain(wrong);
  });

  it('401 on one file names that file, with the token absent from the message', async () => {
    const { error } = await attempt(
      'test/m',
      [{ path: /\/resolve\/.*\/tokenizer\.json$/, status: 401 }],
      { dir: GQA },
      TOKEN,
    );
    expect(error).toBeInstanceOf(HubError);
    expect(error!.message).toMatch(
      /^test\/m@main\/tokenizer\.json: access denied .*\(HTTP 401\); HF_TOKEN is set/,
    );
    expect(error!.message).not.toContain(TOKEN);
  });
});

describe('missing repos, revisions and files', () => {
  it('404 for an unknown repo names it', async () => {
    hub = await startFakeHub({ repos: {} });
    const err = await resolveCheckpoint('test/nope', {
      endpoint: hub.url,
      cacheDir: await tempDir(),
      env: {},
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(HubError);
    expect((err as Error).message).toBe(
      `test/nope@main: not found on ${hub.url} (HTTP 404); check the repo id, the revision and that the file exists`,
    );
  });

  it('404 for an unknown revision names it', async () => {
    const { error } = await attempt('test/m@v9', []);
    expect(error).toBeInstanceOf(HubError);
    expect(error!.message).toMatch(/^test\/m@v9: not found on .* \(HTTP 404\)/);
  });

  it('a repo without a required file names the file', async () => {
    const { error } = await attempt('test/m', [], { dir: resolve('fixtures/golden') });
    expect(error).toBeInstanceOf(HubError);
    expect(error!.message).toBe('test/m@main: missing config.json, tokenizer.json, tokenizer_config.json');
  });

  it('404 EntryNotFound on a listed file names the file and leaves no ref', async () => {
    const { error, cacheDir } = await attempt('test/m', [
      { path: /\/resolve\/.*\/model\.safetensors$/, status: 404 },
    ]);
    expect(error).toBeInstanceOf(HubError);
    expect(error!.message).toMatch(/^test\/m@main\/model\.safetensors: not found on .*\(HTTP 404\)/);
    expect(await refs(cacheDir)).toEqual([]);
    expect(await cacheProblems(cacheDir)).toEqual([]);
  });
});

describe('transient failures', () => {
  it('retries 500s on the revision API and then succeeds', async () => {
    const path = '/api/models/test/m/revision/main';
    const { result } = await attempt('test/m', [{ path, status: 500, times: 2 }]);
    expect(result?.source).toMatchObject({ sha: SHA });
    expect(count(path)).toBe(3);
  });

  it('retries a 503 on a file download and then succeeds', async () => {
    const { result, cacheDir } = await attempt('test/m', [
      { path: /\/resolve\/.*\/config\.json$/, status: 503, times: 1 },
    ]);
    expect(result?.files).toHaveLength(5);
    expect(await cacheProblems(cacheDir)).toEqual([]);
  });

  it('gives up on a persistent 500 after three attempts', async () => {
    const path = '/api/models/test/m/revision/main';
    const { error } = await attempt('test/m', [{ path, status: 500 }]);
    expect(error).toBeInstanceOf(HubError);
    expect(error!.message).toBe(
      `test/m@main: download from ${hub!.url} failed after 3 attempts (HTTP 500); check the connection and retry, or use --offline with a cached copy`,
    );
    expect(count(path)).toBe(3);
  });

  it('survives a connection dropped mid-body, with an intact blob', async () => {
    const shard = /\/resolve\/.*\/model-00002-of-00002\.safetensors$/;
    const { result, cacheDir } = await attempt('test/m', [{ path: shard, drop: true, times: 1 }], {
      dir: SHARDED,
    });
    expect(result?.files).toHaveLength(7);
    expect(await cacheProblems(cacheDir)).toEqual([]);
  });

  it('a body cut short without an error is caught by its size, retried and stored intact', async () => {
    const shard = /\/resolve\/.*\/model-00001-of-00002\.safetensors$/;
    const { result, cacheDir } = await attempt('test/m', [{ path: shard, truncate: true, times: 1 }], {
      dir: SHARDED,
    });
    expect(result?.files.find((f) => f.name === 'model-00001-of-00002.safetensors')?.size).toBe(244_592);
    expect(count(shard)).toBe(4);
    expect(await cacheProblems(cacheDir)).toEqual([]);
  });

  it('a connection that keeps dropping fails clearly, leaves no partial blob and resumes later', async () => {
    const shard = /\/resolve\/.*\/model-00002-of-00002\.safetensors$/;
    const failed = await attempt('test/m', [{ path: shard, drop: true }], { dir: SHARDED });
    expect(failed.error).toBeInstanceOf(HubError);
    expect(failed.error!.message).toMatch(
      /^test\/m@main\/model-00002-of-00002\.safetensors: download from .* failed after 3 attempts \(.+\); check the connection/,
    );
    expect(await cacheProblems(failed.cacheDir)).toEqual([]);
    expect(await refs(failed.cacheDir)).toEqual([]);
    await hub!.close();
    hub = await startFakeHub({ repos: { 'test/m': { dir: SHARDED } } });
    const r = await resolveCheckpoint('test/m', { endpoint: hub.url, cacheDir: failed.cacheDir, env: {} });
    expect(r.files).toHaveLength(7);
    expect(
      hub.requests.filter((q) => q.path.includes('/resolve/')).map((q) => q.path.split('/').pop()),
    ).toEqual(['model-00002-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  });
});
