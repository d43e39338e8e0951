/**
 * `moefy inspect` and `moefy plan` on every fixture, as a local directory and as a Hub repo id served by the
 * local Hub-protocol server: same shapes either way, the source names repo@sha, a second run makes no request.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeHub, fakeSha, startFakeHub } from './support/fake-hub.js';
import { fixtureDir, GOLDEN_CASES } from './support/golden.js';
import { SMALL_EVAL } from './support/kjv-convert.js';
import { runCliAsync } from './support/cli.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-hub-cmd-'));
const FIXTURES = [...GOLDEN_CASES, 'kjv-llama'] as const;
const repoId = (name: string) => `hub-test/${name}`; // no such local dir, so it resolves on the Hub
let hub: FakeHub;

beforeAll(async () => {
  hub = await startFakeHub({
    repos: Object.fromEntries(FIXTURES.map((name) => [repoId(name), { dir: fixtureDir(name) }])),
  });
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

/** The CLI as a child process; async, because this process serves the fake Hub meanwhile. */
async function moefyWith(extra: Record<string, string>, ...args: string[]) {
  return runCliAsync(args, {
    env: {
      HF_HUB_CACHE: join(root, 'hub'),
      HF_ENDPOINT: hub.url,
      MOEFY_CACHE_DIR: join(root, 'moefy-cache'),
      CI: 'true',
      ...extra,
      HF_HUB_OFFLINE: undefined,
      HF_TOKEN: undefined,
    },
  });
}

const moefy = (...args: string[]) => moefyWith({}, ...args);

/**
 * A recipe naming the repo id, with windows that fit every fixture (GPT-2's learned positions end at 128). The
 * fixtures' FFNs (160–256 neurons) are too narrow for five experts on 32-neuron 4-bit blocks: fp32 only, align 16.
 */
function hubRecipe(name: string): string {
  const path = join(root, `${name}.yaml`);
  writeFileSync(
    path,
    `model: ${repoId(name)}\ncalibration: { seq_len: 64 }\neval: { seq_len: 64, latency: { seq: 64, decode_tokens: 8 } }\n` +
      'experts: { align: 16 }\noutput: { dtypes: [fp32] }\n',
  );
  return path;
}

describe.each(FIXTURES)('%s', (name) => {
  it('inspect gives the same model as a local dir and as a Hub repo id (repo@sha), then hits the cache', async () => {
    const local = await moefy('inspect', fixtureDir(name), '--json');
    expect(local.code).toBe(0);
    const viaHub = await moefy('inspect', repoId(name), '--json');
    expect(viaHub.stderr).toBe('');
    expect(viaHub.code).toBe(0);
    const a = JSON.parse(local.stdout);
    const b = JSON.parse(viaHub.stdout);
    expect(b.shapes).toEqual(a.shapes);
    expect(b.parameters).toEqual(a.parameters);
    expect(JSON.stringify(b.source)).toContain(fakeSha(repoId(name)));
    const before = hub.requests.length;
    expect((await moefy('inspect', repoId(name), '--json')).code).toBe(0);
    expect(hub.requests.length).toBe(before);
  });

  it('plan resolves the repo id and prints the expert grid', async () => {
    const r = await moefy('plan', hubRecipe(name), '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.source).toMatchObject({ kind: 'hub', repo: repoId(name), sha: fakeSha(repoId(name)) });
    expect(plan.experts.length).toBe(5);
    expect(plan.experts.at(-1).fraction).toBe(1);
  });
});

describe('moefy convert <repo id>', () => {
  it('downloads through the Hub protocol with progress lines, records repo@sha, and converts', async () => {
    const name = 'llama-gqa';
    const recipe = join(root, 'convert.yaml');
    writeFileSync(
      recipe,
      `calibration: { text: ${fixtureDir('kjv-llama')}/calibration.txt, tokens: 4096, seq_len: 64, rows_per_layer: 1024 }\n` +
        `experts: { sizes: [0.25, 0.5, 1.0], align: 8 }\noutput: { dtypes: [fp32] }\nrouter: { kind: ridge }\n${SMALL_EVAL}\n`,
    );
    const out = join(root, 'converted');
    // A cache of its own, so the checkpoint is really downloaded here.
    const r = await moefyWith(
      { HF_HUB_CACHE: join(root, 'hub-convert') },
      'convert',
      `${repoId(name)}@main`,
      '--recipe',
      recipe,
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[resolve\] download model\.safetensors: .*\d+ B/);
    const manifest = JSON.parse(readFileSync(join(out, 'moefy.json'), 'utf8'));
    expect(manifest.source).toMatchObject({ kind: 'hub', repo: repoId(name), sha: fakeSha(repoId(name)) });
  });
});
