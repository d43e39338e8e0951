/**
 * Fuzzing `model.safetensors.index.json` through both readers of it (the tensor store and the download planner):
 * byte mutations of the real index, and generated weight maps whose shard paths try to leave the checkpoint dir —
 * `..`, absolute paths, drive letters, NUL, and a symlink to a file outside. Whatever opens stays inside.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readShardNames } from '../../src/checkpoint/checkpoint-files.js';
import { INDEX_FILE, openTensorStore } from '../../src/checkpoint/safetensors-index.js';
import { fixtureDir } from '../support/golden.js';
import { caseCounter, FUZZ_SEED, runs, settle } from './fuzz-support.js';
import { hostileKey, jsonGarbageText } from './json-gen.js';
import { applyMutations, mutations } from './mutate.js';

const SHARDS = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
const root = mkdtempSync(join(tmpdir(), 'moefy-fuzz-index-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = join(root, 'checkpoint');
mkdirSync(dir);
for (const shard of SHARDS) copyFileSync(join(fixtureDir('llama-sharded-bf16'), shard), join(dir, shard));
copyFileSync(join(dir, SHARDS[0]!), join(root, 'outside.safetensors'));
symlinkSync(join(root, 'outside.safetensors'), join(dir, 'link.safetensors'));
const indexPath = join(dir, INDEX_FILE);
const realIndex = readFileSync(join(fixtureDir('llama-sharded-bf16'), INDEX_FILE));
const realMap = JSON.parse(realIndex.toString('utf8')).weight_map as Record<string, string>;
const tensorNames = Object.keys(realMap);
const count = caseCounter('shard index');

/** Both readers of the index; every weight file the store opens must resolve inside the checkpoint dir. */
async function readIndex(bytes: Uint8Array): Promise<void> {
  writeFileSync(indexPath, bytes);
  const names = await readShardNames(indexPath, INDEX_FILE).catch((err: unknown) => err);
  const store = await openTensorStore(dir).catch((err: unknown) => err);
  for (const outcome of [names, store]) if (outcome instanceof Error) throw outcome;
  for (const file of (store as Awaited<ReturnType<typeof openTensorStore>>).files) {
    expect(relative(dir, realpathSync(file)).startsWith('..')).toBe(false);
  }
}

const shardName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SHARDS) },
  fc.constantFrom(
    '../outside.safetensors',
    `../checkpoint/${SHARDS[0]}`,
    `./${SHARDS[0]}`,
    join(root, 'outside.safetensors'),
    'link.safetensors',
    'C:\\model.safetensors',
    `${SHARDS[0]}\u0000.txt`,
    'sub/../model-00001-of-00002.safetensors',
    '.',
    '..',
    '',
    'missing.safetensors',
    INDEX_FILE,
  ),
  fc.string({ maxLength: 20 }),
);
const tensorName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...tensorNames) },
  hostileKey,
  fc.string({ maxLength: 10 }),
);
const weightMapText = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(
        fc.tuple(
          tensorName,
          fc.oneof(
            shardName.map((s) => JSON.stringify(s)),
            jsonGarbageText,
          ),
        ),
        { maxLength: 8 },
      )
      .map((pairs) => `{${pairs.map(([t, s]) => `${JSON.stringify(t)}:${s}`).join(',')}}`),
  },
  { weight: 1, arbitrary: jsonGarbageText },
);
/** The real weight map with one or two entries pointed elsewhere: mostly valid, so the open path runs too. */
const redirected = fc
  .array(fc.tuple(fc.nat(tensorNames.length - 1), shardName), { minLength: 1, maxLength: 2 })
  .map((edits) => {
    const map = { ...realMap };
    for (const [i, shard] of edits) map[tensorNames[i]!] = shard;
    return JSON.stringify(map);
  });
const indexText = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.oneof(weightMapText, redirected).map((map) => `{"metadata":{},"weight_map":${map}}`),
  },
  { weight: 1, arbitrary: jsonGarbageText },
);

describe('shard index under fuzzing', () => {
  it('survives byte mutations of the real index', async () => {
    const mutated = mutations().map((list) => applyMutations(realIndex, list));
    await fc.assert(
      fc.asyncProperty(mutated, async (bytes) => count(await settle(() => readIndex(bytes)))),
      { seed: FUZZ_SEED, numRuns: runs(200) },
    );
  });

  it('survives generated weight maps with escaping, missing and hostile shard names', async () => {
    await fc.assert(
      fc.asyncProperty(indexText, async (text) => count(await settle(() => readIndex(Buffer.from(text))))),
      { seed: FUZZ_SEED, numRuns: runs(400) },
    );
  });
});
