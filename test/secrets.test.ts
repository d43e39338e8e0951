/**
 * HF_TOKEN never leaks (DESIGN.md §5): `moefy inspect`, `plan` and `export` run against the fake Hub with the token
 * set, for refused requests (401, 403) and successful ones, with MOEFY_DEBUG on so stack traces print too; stdout,
 * stderr and every file written (Hub cache, output dir, manifest) are searched for the token.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureDir } from './support/golden.js';
import { type FakeHub, startFakeHub } from './support/fake-hub.js';
import { runCliAsync } from './support/cli.js';

const TOKEN = 'hf_SeCrEtToKeN4242moefyTest';
const root = mkdtempSync(join(tmpdir(), 'moefy-secrets-'));
let hub: FakeHub;
const seen: string[] = [];

beforeAll(async () => {
  hub = await startFakeHub({
    repos: {
      'test/private': { dir: fixtureDir('gpt2'), token: TOKEN },
      'test/unauthorized': { dir: fixtureDir('gpt2') },
    },
    faults: [{ path: /^\/api\/models\/test\/unauthorized\//, status: 401 }],
  });
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

/** The CLI as a child process (async: this process serves the fake Hub meanwhile); keeps what it printed. */
async function moefy(env: Record<string, string>, ...args: string[]) {
  const r = await runCliAsync(args, {
    env: {
      HF_HOME: join(root, 'home'),
      HF_ENDPOINT: hub.url,
      MOEFY_DEBUG: '1',
      ...env,
      HF_HUB_OFFLINE: undefined,
    },
  });
  seen.push(r.stdout, r.stderr);
  return r;
}

/** Every regular file under `dir`, recursively (symlinks into the blob store are read through the blobs). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('HF_TOKEN stays secret', () => {
  it('a 401 names the repo and what to do, without the token', async () => {
    const r = await moefy({ HF_TOKEN: TOKEN }, 'inspect', 'test/unauthorized');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^moefy: test\/unauthorized@main: access denied .*HTTP 401.*HF_TOKEN is set but has no access/,
    );
  });

  it('a wrong token (403) is reported without echoing it', async () => {
    const wrong = `${TOKEN}-wrong`;
    const r = await moefy({ HF_TOKEN: wrong }, 'inspect', 'test/private');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/test\/private/);
    expect(r.stdout + r.stderr).not.toContain(wrong);
  });

  it('successful inspect, plan and export print and write nothing of the token', async () => {
    const inspect = await moefy({ HF_TOKEN: TOKEN }, 'inspect', 'test/private', '--json');
    expect(inspect.stderr).toBe('');
    expect(inspect.code).toBe(0);
    // The gpt2 fixture has 128 positions: the recipe shortens the default 256-token windows.
    const recipe = join(root, 'private.yaml');
    writeFileSync(
      recipe,
      'model: test/private\ncalibration: { seq_len: 64 }\neval: { seq_len: 64, latency: { seq: 64 } }\n',
    );
    const plan = await moefy({ HF_TOKEN: TOKEN }, 'plan', recipe, '--json');
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    const out = join(root, 'out');
    const exported = await moefy({ HF_TOKEN: TOKEN }, 'export', 'test/private', '--out', out);
    expect(exported.code).toBe(0);
    expect(filesUnder(out)).toContain(join(out, 'moefy.json'));
  });

  it('no output, error or written file contains the token', () => {
    const files = filesUnder(root);
    expect(files.length).toBeGreaterThan(5);
    for (const text of seen) expect(text).not.toContain(TOKEN);
    for (const file of files) expect(readFileSync(file).includes(TOKEN), file).toBe(false);
  });
});
