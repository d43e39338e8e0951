import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ELEM, GraphBuilder } from '../onnx/builder.js';
import { writeModel } from '../onnx/serialize.js';
import { RuntimeSetupError } from '../util/errors.js';
import { positionsOf, tokenFeeds } from './decoder-feeds.js';
import { createSession, run } from './session.js';
import { float32Tensor, int64Tensor, readFloat32, readInt64 } from './tensors.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tinyModel(): string {
  const b = new GraphBuilder('tiny');
  const x = b.input('x', ELEM.float, [2]);
  b.output('y', b.mul(x, b.f32([2, 3])), ELEM.float, [2]);
  const path = join(dir, 'tiny.onnx');
  writeModel(b.model(), path);
  return path;
}

/** Whether this machine has the CUDA build of ORT and a GPU (CI has neither). */
async function hasCuda(path: string): Promise<boolean> {
  return createSession(path, { device: 'cuda' }).then(
    () => true,
    (err) => !(err instanceof RuntimeSetupError),
  );
}

describe('runtime', () => {
  it('runs a graph on the CPU with float32 tensors', async () => {
    const session = await createSession(tinyModel(), { threads: 1 });
    const out = await run(session, { x: float32Tensor([1, 2], [2]) });
    expect(Array.from(readFloat32(out.y!))).toEqual([2, 6]);
  });

  it('reports a missing CUDA build as RuntimeSetupError with the install command', async () => {
    const path = tinyModel();
    if (await hasCuda(path)) return; // a CUDA machine: nothing to report
    const failing = createSession(path, { device: 'cuda' });
    await expect(failing).rejects.toThrow(RuntimeSetupError);
    await expect(createSession(path, { device: 'cuda' })).rejects.toThrow(
      /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/,
    );
  });

  it('fails on a broken model file with ORT’s error', async () => {
    const path = join(dir, 'broken.onnx');
    writeFileSync(path, 'not a model');
    await expect(createSession(path)).rejects.toThrow();
  });

  it('builds int64 feeds with HF positions for left padding', () => {
    expect(positionsOf([0, 0, 1, 1, 1])).toEqual([0, 0, 0, 1, 2]);
    const feeds = tokenFeeds({ ids: [[5, 6]], mask: [[1, 1, 1]], past: 1 });
    expect(readInt64(feeds.position_ids!)).toEqual([1, 2]);
    expect(feeds.attention_mask!.dims).toEqual([1, 3]);
    expect(readInt64(int64Tensor(BigInt64Array.of(7n), [1]))).toEqual([7]);
    expect(() => float32Tensor([1], [2])).toThrow('float32 tensor: 1 values for dims [2]');
  });
});
