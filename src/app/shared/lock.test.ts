/** The recipe lock on a real local checkpoint (a copy of a golden fixture) and on a Hub-shaped resolution. */
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ResolvedCheckpoint, resolveCheckpoint, sha256File } from '../../checkpoint/resolve.js';
import { InputError } from '../../util/errors.js';
import { checkLock, lockPathFor } from './lock.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const fixture = new URL('../../../fixtures/golden/llama-gqa', import.meta.url).pathname;
const recipes = join(root, 'recipes');
const model = join(root, 'models', 'tiny');
const recipePath = join(recipes, 'tiny.yaml');
mkdirSync(recipes, { recursive: true });
cpSync(fixture, model, { recursive: true });
writeFileSync(recipePath, `model: ../models/tiny\n`);

describe('checkLock', () => {
  it('writes the lock on the first run, passes on the same files, refuses a changed file by name', async () => {
    const resolved = await resolveCheckpoint(model);
    const first = await checkLock({ recipePath, resolved, update: false });
    expect(first).toEqual({ path: join(recipes, 'tiny.moefy.lock.json'), status: 'created', changes: [] });
    const lock = JSON.parse(readFileSync(first.path, 'utf8'));
    expect(lock).toMatchObject({
      schema: 'moefy.lock/1',
      model: '../models/tiny',
      revision: null,
      sha: null,
    });
    expect(lock.files['model.safetensors']).toBe(await sha256File(join(model, 'model.safetensors')));
    expect(Object.keys(lock.files).sort()).toEqual(resolved.files.map((f) => f.name).sort());

    expect(await checkLock({ recipePath, resolved, update: false })).toMatchObject({ status: 'unchanged' });

    const before = lock.files['config.json'].slice(0, 12);
    appendFileSync(join(model, 'config.json'), '\n');
    const after = (await sha256File(join(model, 'config.json'))).slice(0, 12);
    const run = () => checkLock({ recipePath, resolved, update: false });
    await expect(run()).rejects.toThrow(InputError);
    await expect(run()).rejects.toThrow(
      `${first.path}: the checkpoint no longer matches the lock: config.json changed (sha256 ${before} → ${after}); pass --update-lock to accept it`,
    );

    const updated = await checkLock({ recipePath, resolved, update: true });
    expect(updated).toMatchObject({
      status: 'updated',
      changes: [`config.json changed (sha256 ${before} → ${after})`],
    });
    expect(await checkLock({ recipePath, resolved, update: false })).toMatchObject({ status: 'unchanged' });
  });

  it('pins the resolved Hub commit and names a moved one, added and removed files', async () => {
    const hubRecipe = join(recipes, 'hub.yaml');
    const file = (name: string) => ({ name, path: join(model, name), size: 0 });
    const hub = (sha: string, names: string[]): ResolvedCheckpoint => ({
      dir: model,
      source: { kind: 'hub', repo: 'org/tiny', revision: 'main', sha, endpoint: 'https://huggingface.co' },
      files: names.map(file),
    });
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    await checkLock({
      recipePath: hubRecipe,
      resolved: hub(a, ['config.json', 'tokenizer.json']),
      update: false,
    });
    const lock = JSON.parse(readFileSync(lockPathFor(hubRecipe), 'utf8'));
    expect(lock).toMatchObject({ model: 'org/tiny', revision: 'main', sha: a });
    await expect(
      checkLock({
        recipePath: hubRecipe,
        resolved: hub(b, ['config.json', 'model.safetensors']),
        update: false,
      }),
    ).rejects.toThrow(
      'the checkpoint no longer matches the lock: resolved commit changed (aaaaaaaaaaaa → bbbbbbbbbbbb); model.safetensors added; tokenizer.json removed; pass --update-lock to accept it',
    );
  });

  it('refuses a malformed lock naming the field', async () => {
    const badRecipe = join(recipes, 'bad.yaml');
    writeFileSync(
      lockPathFor(badRecipe),
      JSON.stringify({
        schema: 'moefy.lock/1',
        model: 'x',
        revision: null,
        sha: null,
        files: { 'config.json': 'nope' },
      }),
    );
    const resolved = await resolveCheckpoint(model);
    await expect(checkLock({ recipePath: badRecipe, resolved, update: false })).rejects.toThrow(
      `${lockPathFor(badRecipe)}: invalid lock, field files.config.json: expected a hex sha256`,
    );
  });

  it('pins dataset sources and names a moved one', async () => {
    const dataRecipe = join(recipes, 'data.yaml');
    const resolved = await resolveCheckpoint(model);
    const pin = (sha: string) => ({
      kind: 'hub' as const,
      id: 'Salesforce/wikitext',
      config: 'wikitext-2-raw-v1',
      split: 'train',
      column: 'text',
      revision: 'main',
      sha,
      files_revision: null,
      files_sha: sha,
      files: { 'wikitext-2-raw-v1/train-00000-of-00001.parquet': 'c'.repeat(64) },
    });
    const first = await checkLock({
      recipePath: dataRecipe,
      resolved,
      data: { calibration: pin('a'.repeat(40)) },
      update: false,
    });
    expect(JSON.parse(readFileSync(first.path, 'utf8')).data.calibration).toEqual(pin('a'.repeat(40)));
    await expect(
      checkLock({
        recipePath: dataRecipe,
        resolved,
        data: { calibration: pin('b'.repeat(40)) },
        update: false,
      }),
    ).rejects.toThrow(
      `${first.path}: the inputs no longer match the lock: calibration data changed (Salesforce/wikitext wikitext-2-raw-v1/train@aaaaaaaaaaaa → Salesforce/wikitext wikitext-2-raw-v1/train@bbbbbbbbbbbb); pass --update-lock to accept it`,
    );
  });
});
