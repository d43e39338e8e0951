import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../checkpoint/safetensors-write.js';
import type { RidgeRouter } from '../router/spec.js';
import { CheckpointFormatError } from '../util/errors.js';
import { readRouters, writeRouters } from './router-file.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-router-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ridge: RidgeRouter = {
  kind: 'ridge',
  d: 2,
  outputs: 3,
  w1: Float32Array.from([1, 2, 3, 4, 5, 6]),
  b1: Float32Array.from([7, 8, 9]),
};

/** A routers file as moefy wrote it before the router kinds took the recipe's names. */
async function writeLegacy(path: string, kind: string): Promise<void> {
  await writeSafetensors(
    path,
    {
      'l0.w1': { dtype: 'F32', shape: [2, 3], data: ridge.w1 },
      'l0.b1': { dtype: 'F32', shape: [3], data: ridge.b1 },
    },
    { format: 'moefy.routers/1', kind, layers: '1', loss: 'mse', d: '2', hidden: '0', outputs: '3' },
  );
}

describe('routers.safetensors', () => {
  it('round-trips a ridge router under the recipe name of its kind', async () => {
    const path = join(dir, 'ridge.safetensors');
    await writeRouters(path, [ridge], 'mse');
    const { weights } = await readRouters(path);
    expect(weights).toEqual([{ ...ridge, output: 'log-error' }]);
  });

  it('reads `linear`, the old name of the ridge kind, as ridge', async () => {
    const path = join(dir, 'legacy.safetensors');
    await writeLegacy(path, 'linear');
    expect((await readRouters(path)).weights[0]?.kind).toBe('ridge');
  });

  it('names the metadata field of an unknown kind', async () => {
    const path = join(dir, 'unknown.safetensors');
    await writeLegacy(path, 'tree');
    await expect(readRouters(path)).rejects.toThrow(
      new CheckpointFormatError(path, 'metadata.kind: expected ridge or mlp, got tree'),
    );
  });
});

describe('routers.safetensors: the router input', () => {
  it('round-trips a normed+log_norm router (w1 [d + 1, ·]) and records its input', async () => {
    const path = join(dir, 'log-norm.safetensors');
    const withNorm: RidgeRouter = {
      ...ridge,
      input: 'normed+log_norm',
      w1: Float32Array.from({ length: 9 }, (_, i) => i),
    };
    await writeRouters(path, [withNorm], 'mse');
    expect((await readRouters(path)).weights).toEqual([{ ...withNorm, output: 'log-error' }]);
  });

  it('reads a file without `input` (written before the choice) as normed', async () => {
    const path = join(dir, 'no-input.safetensors');
    await writeLegacy(path, 'ridge');
    expect((await readRouters(path)).weights[0]?.input).toBeUndefined();
  });

  it('names the metadata field of an unknown input', async () => {
    const path = join(dir, 'bad-input.safetensors');
    await writeSafetensors(
      path,
      {
        'l0.w1': { dtype: 'F32', shape: [2, 3], data: ridge.w1 },
        'l0.b1': { dtype: 'F32', shape: [3], data: ridge.b1 },
      },
      {
        format: 'moefy.routers/1',
        kind: 'ridge',
        layers: '1',
        loss: 'mse',
        d: '2',
        hidden: '0',
        outputs: '3',
        input: 'raw',
      },
    );
    await expect(readRouters(path)).rejects.toThrow(
      new CheckpointFormatError(path, 'metadata.input: expected normed or normed+log_norm, got raw'),
    );
  });
});
