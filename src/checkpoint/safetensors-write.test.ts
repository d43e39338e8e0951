import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InternalError } from '../util/errors.js';
import { float32ToHalfBits } from './float-convert.js';
import { openSafetensors } from './safetensors-read.js';
import { type TensorToWrite, writeSafetensors } from './safetensors-write.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'moefy-stw-'));
});

const TENSORS: Record<string, TensorToWrite> = {
  'b.weight': { dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 0, 1e-8, -7) },
  'a.half': { dtype: 'F16', shape: [3], data: float32ToHalfBits(Float32Array.of(0.5, -1, 2), 'F16') },
  ids: { dtype: 'I64', shape: [2], data: BigInt64Array.of(5n, -1n) },
  count: { dtype: 'I32', shape: [], data: Int32Array.of(42) },
  mask: { dtype: 'U8', shape: [0], data: new Uint8Array(0) },
};

describe('writeSafetensors', () => {
  it('round-trips every dtype, shape and the metadata through the reader', async () => {
    const path = join(dir, 'all.safetensors');
    await writeSafetensors(path, TENSORS, { source: 'test', version: '1' });
    const file = await openSafetensors(path);
    expect(file.metadata).toEqual({ source: 'test', version: '1' });
    expect([...file.tensors.keys()]).toEqual(['a.half', 'b.weight', 'count', 'ids', 'mask']);
    expect([...(await file.readFloat32('b.weight'))]).toEqual([
      ...(TENSORS['b.weight']!.data as Float32Array),
    ]);
    expect([...(await file.readFloat32('a.half'))]).toEqual([0.5, -1, 2]);
    const ids = await file.readRaw('ids');
    expect([ids.readBigInt64LE(0), ids.readBigInt64LE(8)]).toEqual([5n, -1n]);
    expect(file.tensors.get('count')).toMatchObject({ dtype: 'I32', shape: [] });
    expect((await file.readRaw('mask')).length).toBe(0);
    // the data area starts 8-byte aligned
    const headerLength = (await readFile(path)).readBigUInt64LE(0);
    expect(Number(headerLength) % 8).toBe(0);
  });

  it('writes byte-identical files for identical input, whatever the key order', async () => {
    const reversed = Object.fromEntries(Object.entries(TENSORS).reverse());
    await writeSafetensors(join(dir, 'one.safetensors'), TENSORS, { b: '2', a: '1' });
    await writeSafetensors(join(dir, 'two.safetensors'), reversed, { a: '1', b: '2' });
    expect(await readFile(join(dir, 'one.safetensors'))).toEqual(
      await readFile(join(dir, 'two.safetensors')),
    );
    expect((await readdir(dir)).some((n) => n.includes('.tmp-'))).toBe(false);
  });

  it('round-trips a golden reference file tensor for tensor', async () => {
    const source = await openSafetensors('fixtures/golden/qwen2-tied/reference.safetensors');
    const tensors: Record<string, TensorToWrite> = {};
    for (const info of source.tensors.values()) {
      const dtype = info.dtype as TensorToWrite['dtype'];
      tensors[info.name] = { dtype, shape: info.shape, data: await source.readRaw(info.name) };
    }
    const path = join(dir, 'reference-copy.safetensors');
    await writeSafetensors(path, tensors);
    const copy = await openSafetensors(path);
    expect(copy.tensors.size).toBe(source.tensors.size);
    for (const info of source.tensors.values()) {
      expect(copy.tensors.get(info.name)).toMatchObject({ dtype: info.dtype, shape: info.shape });
      expect(await copy.readRaw(info.name)).toEqual(await source.readRaw(info.name));
    }
  });

  it('refuses data whose length does not match dtype x shape', async () => {
    const bad = { w: { dtype: 'F32' as const, shape: [3], data: new Float32Array(2) } };
    const error = await writeSafetensors(join(dir, 'bad.safetensors'), bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalError);
    expect((error as Error).message).toBe('safetensors: tensor w has 8 bytes, F32 [3] needs 12');
  });
});
