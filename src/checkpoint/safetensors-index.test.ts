import { copyFile, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../util/errors.js';
import { INDEX_FILE, openTensorStore } from './safetensors-index.js';
import { writeSafetensors } from './safetensors-write.js';

const SHARDED = resolve('fixtures/golden/llama-sharded-bf16');
const SHARDS = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'moefy-idx-'));
});

async function withIndex(checkpoint: string, weightMap: Record<string, string>): Promise<string> {
  await mkdir(checkpoint, { recursive: true });
  await writeFile(join(checkpoint, INDEX_FILE), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  return join(checkpoint, INDEX_FILE);
}

async function expectFormatError(checkpoint: string, file: string, message: RegExp): Promise<void> {
  const error = await openTensorStore(checkpoint).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CheckpointFormatError);
  expect((error as CheckpointFormatError).file).toBe(file);
  expect((error as Error).message).toMatch(message);
}

const tiny = { w: { dtype: 'F32' as const, shape: [1], data: Float32Array.of(1) } };

describe('openTensorStore', () => {
  it('opens the sharded fixture as one view with each tensor in its shard', async () => {
    const store = await openTensorStore(SHARDED);
    expect(store.files).toEqual(SHARDS.map((s) => join(SHARDED, s)));
    expect(store.tensors.get('lm_head.weight')!.file).toBe(join(SHARDED, SHARDS[1]!));
    expect(store.tensors.get('model.layers.2.self_attn.q_proj.weight')!.file).toBe(join(SHARDED, SHARDS[0]!));
    expect(store.handle('model.norm.weight').shape).toEqual([64]);
    expect(() => store.handle('nope')).toThrow(/nope: no such tensor in the checkpoint/);
  });

  it('opens a single model.safetensors', async () => {
    const store = await openTensorStore('fixtures/golden/gpt2');
    expect(store.tensors.size).toBe(28);
  });

  it('rejects a directory without weights', async () => {
    await expectFormatError(
      dir,
      dir,
      /weights: expected model\.safetensors or model\.safetensors\.index\.json/,
    );
  });

  it.each([
    ['traversal', '../x.safetensors', /weight_map shard "\.\.\/x\.safetensors": must not contain "\.\."/],
    [
      'absolute path',
      '/etc/passwd',
      /weight_map shard "\/etc\/passwd": expected a path relative to the checkpoint directory/,
    ],
    ['missing shard', 'absent.safetensors', /weight_map shard "absent\.safetensors": file not found in/],
  ])('rejects a shard path: %s', async (_label, shard, message) => {
    const index = await withIndex(join(dir, 'ckpt'), { w: shard });
    await expectFormatError(join(dir, 'ckpt'), index, message);
  });

  it('rejects a shard symlink that escapes the checkpoint dir', async () => {
    await writeSafetensors(join(dir, 'outside.safetensors'), tiny);
    const index = await withIndex(join(dir, 'ckpt'), { w: 'shard.safetensors' });
    await symlink(join(dir, 'outside.safetensors'), join(dir, 'ckpt', 'shard.safetensors'));
    await expectFormatError(
      join(dir, 'ckpt'),
      index,
      /shard\.safetensors": resolves to .*outside\.safetensors, outside the checkpoint directory/,
    );
  });

  it('accepts Hugging Face cache snapshots whose files link into the repo blobs', async () => {
    const repo = join(dir, 'models--org--name');
    const snapshot = join(repo, 'snapshots', 'a'.repeat(40));
    await mkdir(join(repo, 'blobs'), { recursive: true });
    await withIndex(snapshot, { w: 'model-1.safetensors' });
    await writeSafetensors(join(repo, 'blobs', 'f00d'), tiny);
    await symlink('../../blobs/f00d', join(snapshot, 'model-1.safetensors'));
    const store = await openTensorStore(snapshot);
    expect([...(await store.handle('w').read())]).toEqual([1]);
  });

  it('rejects a tensor the index lists but its shard lacks', async () => {
    const ckpt = join(dir, 'ckpt');
    const index = await withIndex(ckpt, { w: 'a.safetensors', ghost: 'a.safetensors' });
    await writeSafetensors(join(ckpt, 'a.safetensors'), tiny);
    await expectFormatError(
      ckpt,
      index,
      /weight_map\.ghost: listed in a\.safetensors, but that shard lacks it/,
    );
  });

  it('rejects the same tensor stored in two shards', async () => {
    const ckpt = join(dir, 'ckpt');
    await withIndex(ckpt, { w: 'a.safetensors', v: 'b.safetensors' });
    await writeSafetensors(join(ckpt, 'a.safetensors'), tiny);
    await writeSafetensors(join(ckpt, 'b.safetensors'), { ...tiny, v: tiny.w });
    await expectFormatError(ckpt, join(ckpt, 'b.safetensors'), /w: also stored in .*a\.safetensors/);
  });

  it('rejects an index without a weight_map object', async () => {
    const ckpt = join(dir, 'ckpt');
    await mkdir(ckpt);
    await writeFile(join(ckpt, INDEX_FILE), '{"weight_map": []}');
    await expectFormatError(ckpt, join(ckpt, INDEX_FILE), /weight_map: expected an object/);
    await writeFile(join(ckpt, INDEX_FILE), '{"weight_map": ');
    await expectFormatError(ckpt, join(ckpt, INDEX_FILE), /expected JSON/);
  });

  it('opens a copied sharded checkpoint identically', async () => {
    const ckpt = join(dir, 'copy');
    await mkdir(ckpt);
    for (const name of [...SHARDS, INDEX_FILE]) await copyFile(join(SHARDED, name), join(ckpt, name));
    expect((await openTensorStore(ckpt)).tensors.size).toBe(39);
  });
});
