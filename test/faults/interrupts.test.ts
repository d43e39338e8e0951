/**
 * SIGINT/SIGTERM at each stage of `moefy convert` (a real child process): the output dir is absent or the previous
 * one byte for byte, no temp dir or lock survives, the stage cache holds a complete entry exactly for the stages
 * that finished, and a rerun resumes from the cache and writes the bytes of an uninterrupted run.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNAL_EXIT } from '../../src/util/cleanup.js';
import { Rng } from '../../src/util/random.js';
import { completeEntries, doneStages, smallRecipe, startConvert, strays, treeDigest } from './fault-run.js';

type Signal = keyof typeof SIGNAL_EXIT;

const root = mkdtempSync(join(tmpdir(), 'moefy-interrupts-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const recipe = smallRecipe(root);
let baseline: Record<string, string>;

beforeAll(async () => {
  const r = await startConvert({ recipe, out: join(root, 'base'), cache: join(root, 'cache-base') }).done;
  if (r.code !== 0) throw new Error(`uninterrupted convert failed (${r.code}): ${r.stderr}`);
  baseline = treeDigest(join(root, 'base'));
});

const stagesOf = (cache: string) => completeEntries(cache).map((e) => e.split('/')[0]);
const fromCache = (stderr: string) =>
  [...stderr.matchAll(/^\[(\w+)\] done in .*: from cache$/gm)].map((m) => m[1]);

/** Interrupts a run at the first stderr line matching `at`; checks what every interrupt must leave. */
async function interrupt(o: { out: string; cache: string; at: RegExp; signal: Signal; force?: boolean }) {
  const run = startConvert({ recipe, ...o });
  run.signalAt(o.at, o.signal);
  const r = await run.done;
  expect(r.code, r.stderr).toBe(SIGNAL_EXIT[o.signal]);
  expect(r.stderr).toContain(`moefy: interrupted (${o.signal}); temporary files removed`);
  expect(strays(root)).toEqual([]);
  // A complete cache entry exists exactly for the stages that reported done (fresh or from cache).
  expect(stagesOf(o.cache)).toEqual(doneStages(r.stderr));
  return r;
}

describe('interrupting convert with no previous output', () => {
  const cache = join(root, 'cache');
  const out = join(root, 'out');
  const points: { stage: string; signal: Signal; cachedBefore: string[] }[] = [
    { stage: 'calibrate', signal: 'SIGINT', cachedBefore: [] },
    // Each run finishes the stage the previous one was interrupted in, so the cache grows by one stage a run.
    { stage: 'targets', signal: 'SIGTERM', cachedBefore: [] },
    // The run interrupted in [targets] finished calibrate (expert adaptation included) before it.
    { stage: 'router', signal: 'SIGINT', cachedBefore: ['calibrate'] },
  ];
  for (const { stage, signal, cachedBefore } of points) {
    it(`${signal} in [${stage}]: no output, no temp dirs, no complete entry for ${stage}`, async () => {
      const r = await interrupt({ out, cache, at: new RegExp(`^\\[${stage}\\]`), signal });
      expect(fromCache(r.stderr)).toEqual(cachedBefore);
      expect(doneStages(r.stderr)).not.toContain(stage);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('an existing output is left untouched without --force', async () => {
    const r = await startConvert({ recipe, out: join(root, 'base'), cache }).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`moefy: ${join(root, 'base')}: already exists; pass --force to replace it`);
    expect(treeDigest(join(root, 'base'))).toEqual(baseline);
  });

  describe('with --force over an old output', () => {
    const oldOut = join(root, 'out');
    let old: Record<string, string>;
    beforeAll(() => {
      mkdirSync(join(oldOut, 'onnx'), { recursive: true });
      writeFileSync(join(oldOut, 'model.onnx'), 'old graph');
      writeFileSync(join(oldOut, 'onnx', 'model.onnx'), 'old graph');
      old = treeDigest(oldOut);
    });

    const points: { stage: string; signal: Signal; cachedBefore: string[] }[] = [
      { stage: 'emit', signal: 'SIGTERM', cachedBefore: ['calibrate', 'targets'] },
      { stage: 'eval', signal: 'SIGINT', cachedBefore: ['calibrate', 'targets', 'router'] },
    ];
    for (const { stage, signal, cachedBefore } of points) {
      it(`${signal} in [${stage}] keeps the old output byte for byte`, async () => {
        const r = await interrupt({
          out: oldOut,
          cache,
          at: new RegExp(`^\\[${stage}\\]`),
          signal,
          force: true,
        });
        expect(fromCache(r.stderr)).toEqual(cachedBefore);
        expect(treeDigest(oldOut)).toEqual(old);
      });
    }

    it('the rerun resumes from the cache and writes the bytes of an uninterrupted run', async () => {
      const r = await startConvert({ recipe, out: oldOut, cache, force: true }).done;
      expect(r.code, r.stderr).toBe(0);
      expect(fromCache(r.stderr)).toEqual(['calibrate', 'targets', 'router']);
      expect(treeDigest(oldOut)).toEqual(baseline);
      expect(strays(root)).toEqual([]);
      expect(stagesOf(cache)).toEqual(['calibrate', 'targets', 'router']);
    });
  });
});

describe('interrupting convert at seeded random moments', () => {
  // Seeded, so a failure names a reproducible delay; the range spans startup to eval of the small recipe.
  const rng = new Rng(Number(process.env.MOEFY_FAULT_SEED ?? 8));
  const delays = [0, 1, 2].map(() => Math.round(500 + rng.next() * 10_000));
  const cache = join(root, 'cache-random');
  for (const [i, ms] of delays.entries()) {
    it(`SIGTERM after ${ms} ms: no output or the complete one, never a partial one`, async () => {
      const out = join(root, `random-${i}`);
      const run = startConvert({ recipe, out, cache });
      run.signalAfter(ms, 'SIGTERM');
      const r = await run.done;
      // Finished (0), interrupted (143), or killed before bin.ts installed its handlers (signal, nothing written).
      expect([0, SIGNAL_EXIT.SIGTERM, null], r.stderr).toContain(r.code);
      if (r.code === 0) expect(treeDigest(out)).toEqual(baseline);
      else expect(existsSync(out)).toBe(false);
      expect(strays(root)).toEqual([]);
      expect(stagesOf(cache)).toEqual(doneStages(r.stderr));
    });
  }
});

describe('SIGKILL (no handler can run)', () => {
  const cache = join(root, 'cache-kill');

  it('leaves only debris that never looks complete; the rerun takes over the stale lock', async () => {
    const run = startConvert({ recipe, out: join(root, 'kill'), cache });
    run.signalAt(/^\[targets\]/, 'SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(root, 'kill'))).toBe(false);
    expect(stagesOf(cache)).toEqual(doneStages(killed.stderr));
    expect(strays(cache).some((p) => p.endsWith('.lock'))).toBe(true);

    const r = await startConvert({ recipe, out: join(root, 'kill'), cache }).done;
    expect(r.code, r.stderr).toBe(0);
    expect(fromCache(r.stderr)).toEqual(['calibrate']);
    expect(treeDigest(join(root, 'kill'))).toEqual(baseline);
    // What remains is the killed run's temp dir, named `.tmp-*`: no lookup ever reads it as an entry.
    expect(strays(cache).every((p) => /^targets\/\.tmp-/.test(p))).toBe(true);
  });
});
