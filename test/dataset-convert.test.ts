/**
 * convert with calibration and eval text from a Hub dataset served by the local Hub-protocol server, then the same
 * convert offline (HF_HUB_OFFLINE=1, the server closed, a fresh stage cache): the same bytes. The lock and the
 * manifest record the dataset's resolved commit and file hashes; a local .parquet file works the same way.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from './support/cli.js';
import { CONFIG, writeWikiRepo } from './support/dataset-fixture.js';
import { type FakeHub, fakeSha, startFakeHub } from './support/fake-hub.js';
import { fixtureDir } from './support/golden.js';
import { removeTempDirs, tempDir } from './support/hub-cache-check.js';
import { FP32_ONLY, SMALL_EVAL } from './support/kjv-convert.js';

let root: string;
let hub: FakeHub;
let recipe: string;

/** Files whose bytes depend only on the inputs (report.json/md and the chart carry latency timings). */
const TIMED = new Set(['report.json', 'report.md', 'curve.svg', 'curve.png']);

beforeAll(async () => {
  root = await tempDir('moefy-ds-convert-');
  const repo = join(root, 'wiki');
  writeWikiRepo(repo);
  hub = await startFakeHub({ repos: {}, datasets: { 'org/kjv-mini': { dir: repo } } });
  recipe = join(root, 'wiki.yaml');
  const dataset = (split: string) => `{ id: org/kjv-mini, config: ${CONFIG}, split: ${split} }`;
  writeFileSync(
    recipe,
    `model: ${fixtureDir('kjv-llama')}
calibration: { dataset: ${dataset('train')}, tokens: 8192, seq_len: 128, rows_per_layer: 2048 }
router: { kind: ridge }
${SMALL_EVAL.replace('eval: { ', `eval: { dataset: ${dataset('test')}, `)}
${FP32_ONLY}
`,
  );
});
afterAll(async () => {
  await hub.close();
  await removeTempDirs();
});

function convert(out: string, env: Record<string, string | undefined>) {
  return runCliAsync(['convert', '--recipe', recipe, '--out', out, '--quiet'], {
    env: { HF_HUB_CACHE: join(root, 'hf'), CI: 'true', HF_TOKEN: undefined, ...env },
  });
}

function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

describe('convert on a Hub dataset', () => {
  it('records the dataset pin; an offline rerun with a fresh stage cache writes the same bytes', async () => {
    const online = await convert(join(root, 'online'), {
      HF_ENDPOINT: hub.url,
      MOEFY_CACHE_DIR: join(root, 'stages-1'),
      HF_HUB_OFFLINE: undefined,
    });
    expect(online.stderr).toBe('');
    expect(online.code).toBe(0);
    const lock = JSON.parse(readFileSync(join(root, 'wiki.moefy.lock.json'), 'utf8'));
    expect(lock.data.calibration).toMatchObject({
      kind: 'hub',
      id: 'org/kjv-mini',
      config: CONFIG,
      split: 'train',
      revision: 'main',
      sha: fakeSha('org/kjv-mini'),
    });
    expect(Object.keys(lock.data.eval.files)).toEqual([
      `${CONFIG}/test-00000-of-00002.parquet`,
      `${CONFIG}/test-00001-of-00002.parquet`,
    ]);
    const manifest = JSON.parse(readFileSync(join(root, 'online', 'moefy.json'), 'utf8'));
    expect(manifest.data).toEqual(lock.data);
    const report = JSON.parse(readFileSync(join(root, 'online', 'report.json'), 'utf8'));
    expect(report.eval.text).toBe(
      `org/kjv-mini@${fakeSha('org/kjv-mini').slice(0, 12)} ${CONFIG}/test[text]`,
    );

    const requests = hub.requests.length;
    const offline = await convert(join(root, 'offline'), {
      HF_ENDPOINT: 'http://127.0.0.1:9', // nothing listens: any request would fail
      MOEFY_CACHE_DIR: join(root, 'stages-2'),
      HF_HUB_OFFLINE: '1',
    });
    expect(offline.stderr).toBe('');
    expect(offline.code).toBe(0);
    expect(hub.requests.length).toBe(requests);
    const a = files(join(root, 'online'));
    const b = files(join(root, 'offline'));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, bytes] of a) {
      if (!TIMED.has(name)) expect(b.get(name)!.equals(bytes), name).toBe(true);
    }
    const points = (dir: string) =>
      JSON.parse(readFileSync(join(root, dir, 'report.json'), 'utf8')).points.map(
        (p: { kind: string; threshold: number | null; perplexity: number; ffn_fraction: number }) => [
          p.kind,
          p.threshold,
          p.perplexity,
          p.ffn_fraction,
        ],
      );
    expect(points('offline')).toEqual(points('online'));
  }, 900_000);
});
