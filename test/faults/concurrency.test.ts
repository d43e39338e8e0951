/**
 * Two `moefy convert`s started together on one stage cache (MLP routers, so training checkpoints are shared too):
 * both succeed with identical files, each stage is produced once (the other process waits on the key's lock and
 * reads the entry), and the cache ends with one complete entry per stage and no temp dirs, locks or checkpoints.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CACHED_STAGES,
  completeEntries,
  smallRecipe,
  startConvert,
  strays,
  treeDigest,
} from './fault-run.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-concurrent-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('two converts sharing one cache', () => {
  const cache = join(root, 'cache');
  const recipe = smallRecipe(root, 'mlp');
  let results: { code: number | null; stderr: string }[];

  beforeAll(async () => {
    const runs = ['a', 'b'].map((name) => startConvert({ recipe, out: join(root, name), cache }));
    results = await Promise.all(runs.map((r) => r.done));
  });

  it('both succeed and write identical files', () => {
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const a = treeDigest(join(root, 'a'));
    expect(Object.keys(a)).toContain('model.onnx');
    expect(treeDigest(join(root, 'b'))).toEqual(a);
  });

  it('produces each stage once: the other run reads it from the cache', () => {
    for (const stage of CACHED_STAGES) {
      const cached = results.filter((r) =>
        new RegExp(`^\\[${stage}\\] done in .*: from cache$`, 'm').test(r.stderr),
      );
      expect(cached, stage).toHaveLength(1);
    }
  });

  it('leaves exactly one complete entry per stage and no temp dirs, locks or training checkpoints', () => {
    expect(completeEntries(cache).map((e) => e.split('/')[0])).toEqual([...CACHED_STAGES]);
    expect(strays(root)).toEqual([]);
  });
});
