/** Hub dataset splits through the local Hub-protocol server: the card's configs, the converted-Parquet branch, the cache. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG, writeConvertedBranch, writeWikiRepo } from '../../test/support/dataset-fixture.js';
import { type FakeHub, fakeSha, startFakeHub } from '../../test/support/fake-hub.js';
import { cacheProblems, removeTempDirs, tempDir } from '../../test/support/hub-cache-check.js';
import { HubError, InputError } from '../util/errors.js';
import { splitFiles } from './dataset-layout.js';
import { CONVERTED_PARQUET, datasetFile, resolveDataset } from './hub-dataset.js';

let hub: FakeHub;
let wiki: string;
let plain: string;
let converted: string;

beforeAll(async () => {
  wiki = join(await tempDir('moefy-ds-'), 'wiki');
  writeWikiRepo(wiki);
  plain = join(await tempDir('moefy-ds-'), 'plain');
  mkdirSync(plain, { recursive: true });
  writeFileSync(join(plain, 'data.csv'), 'text\nx\n');
  converted = join(await tempDir('moefy-ds-'), 'converted');
  writeConvertedBranch(converted);
});
afterEach(async () => hub?.close());
afterAll(removeTempDirs);

async function serve(token?: string) {
  hub = await startFakeHub({
    repos: {},
    datasets: {
      'org/wiki': { dir: wiki, ...(token ? { token } : {}) },
      'org/plain': { dir: plain, revisions: { [CONVERTED_PARQUET]: converted } },
    },
  });
  return hub;
}

const ref = (split: string) => ({ repo: 'org/wiki', config: CONFIG, split, revision: 'main' });

describe('resolveDataset', () => {
  it("reads the card's configs, pins the commit and file hashes, then resolves from the cache alone", async () => {
    await serve();
    const cacheDir = await tempDir();
    const opts = { endpoint: hub.url, cacheDir, env: {} };
    const d = await resolveDataset(ref('train'), opts);
    expect(d.sha).toBe(fakeSha('org/wiki'));
    expect(d.files.map((f) => f.path)).toEqual([
      `${CONFIG}/train-00000-of-00002.parquet`,
      `${CONFIG}/train-00001-of-00002.parquet`,
    ]);
    const bytes = readFileSync(join(wiki, d.files[0]!.path));
    expect(d.files[0]!.oid).toBe(createHash('sha256').update(bytes).digest('hex'));

    const first = await datasetFile(d, d.files[0]!, opts);
    expect(readFileSync(first).equals(bytes)).toBe(true);
    expect(first).toBe(join(cacheDir, 'datasets--org--wiki', 'snapshots', d.sha, d.files[0]!.path));
    expect(existsSync(join(cacheDir, 'datasets--org--wiki', 'snapshots', d.sha, d.files[1]!.path))).toBe(
      false,
    );

    const before = hub.requests.length;
    const offline = { ...opts, offline: true };
    expect(await resolveDataset(ref('train'), offline)).toEqual(d);
    expect(await datasetFile(d, d.files[0]!, offline)).toBe(first);
    expect(hub.requests.length).toBe(before);
    await expect(datasetFile(d, d.files[1]!, offline)).rejects.toThrow(
      `dataset org/wiki@main/${d.files[1]!.path}: not in the Hub cache at ${cacheDir} and offline mode is on; run once online to fetch it`,
    );
    expect(await cacheProblems(cacheDir)).toEqual([]);
  });

  it("falls back to the Hub's converted-Parquet branch, partial splits included", async () => {
    await serve();
    const opts = { endpoint: hub.url, cacheDir: await tempDir(), env: {} };
    const train = await resolveDataset(
      { repo: 'org/plain', config: 'default', split: 'train', revision: 'main' },
      opts,
    );
    expect(train).toMatchObject({
      sha: fakeSha('org/plain'),
      filesRevision: CONVERTED_PARQUET,
      filesSha: fakeSha('org/plain', CONVERTED_PARQUET),
      layout: 'convert',
    });
    expect(train.files.map((f) => f.path)).toEqual(['default/train/0000.parquet']);
    const test = await resolveDataset(
      { repo: 'org/plain', config: 'default', split: 'test', revision: 'main' },
      opts,
    );
    expect(test.files.map((f) => f.path)).toEqual(['default/partial-test/0000.parquet']);
    expect(
      hub.requests.some((q) => q.path === '/api/datasets/org/plain/revision/refs%2Fconvert%2Fparquet'),
    ).toBe(true);
  });

  it('names what is missing: the split, the cache offline, access', async () => {
    await serve('hf_dataset_token');
    const cacheDir = await tempDir();
    const opts = { endpoint: hub.url, cacheDir, env: {} };
    const missing = resolveDataset(
      { repo: 'org/plain', config: 'other', split: 'train', revision: 'v1' },
      opts,
    );
    await expect(missing).rejects.toThrow(HubError);
    const noSplit = resolveDataset({ ...ref('validation'), repo: 'org/plain', config: 'default' }, opts);
    await expect(noSplit).rejects.toThrow(InputError);
    await expect(
      resolveDataset({ ...ref('validation'), repo: 'org/plain', config: 'default' }, opts),
    ).rejects.toThrow(
      "dataset org/plain@main: no Parquet or JSON Lines files for config 'default', split 'validation'",
    );
    await expect(resolveDataset(ref('train'), { ...opts, offline: true })).rejects.toThrow(
      `dataset org/wiki@main (${CONFIG}/train): not in the Hub cache at ${cacheDir} and offline mode is on (--offline or HF_HUB_OFFLINE); run once online or drop --offline`,
    );
    await expect(resolveDataset(ref('train'), opts)).rejects.toThrow(
      /^dataset org\/wiki@main: access denied by http:\/\/127\.0\.0\.1:\d+ \(HTTP 401\); the repo may be private/,
    );
    expect((await resolveDataset(ref('train'), { ...opts, token: 'hf_dataset_token' })).files).toHaveLength(
      2,
    );
    await expect(resolveDataset({ ...ref('train'), split: '../x' }, opts)).rejects.toThrow(
      "dataset org/wiki: invalid split name '../x' (letters, digits, '_', '-', '.')",
    );
  });
});

describe('splitFiles', () => {
  const names = [
    'README.md',
    'c/train-0.parquet',
    'c/train-1.parquet',
    'c/test.jsonl',
    'data/train-0.parquet',
    'x.csv',
  ];
  it('follows conventions without a card, the card when it declares the config', () => {
    expect(splitFiles(names, { config: 'c', split: 'train' }, 'repo', null)).toEqual([
      'c/train-0.parquet',
      'c/train-1.parquet',
    ]);
    expect(splitFiles(names, { config: 'c', split: 'test' }, 'repo', null)).toEqual(['c/test.jsonl']);
    expect(splitFiles(names, { config: 'default', split: 'train' }, 'repo', null)).toEqual([
      'data/train-0.parquet',
    ]);
    const card = { configs: [{ config_name: 'c', data_files: [{ split: 'train', path: ['c/train-1.*'] }] }] };
    expect(splitFiles(names, { config: 'c', split: 'train' }, 'repo', card)).toEqual(['c/train-1.parquet']);
    expect(splitFiles(names, { config: 'c', split: 'test' }, 'repo', card)).toEqual([]);
    const single = { configs: [{ config_name: 'default', data_files: 'data/*.parquet' }] };
    expect(splitFiles(names, { config: 'default', split: 'train' }, 'repo', single)).toEqual([
      'data/train-0.parquet',
    ]);
  });
});
