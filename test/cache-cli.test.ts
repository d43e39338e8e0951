/**
 * `moefy cache ls` / `moefy cache prune` on a real stage cache: entries written by cachedStage (with the model label
 * and a reuse that touches the last-use time) and a calibration's unfinished per-layer work beside them.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheCapBytes, evictToCap } from '../src/app/cache/cap.js';
import { cachedStage } from '../src/app/shared/stage-cache.js';
import { InputError } from '../src/util/errors.js';
import { runCli } from './support/cli.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-cache-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Listed {
  root: string;
  entries: {
    stage: string;
    key: string;
    bytes: number;
    lastUsed: number;
    model: string | null;
    complete: boolean;
  }[];
}

async function entry(cache: string, stage: string, label: string, bytes: number): Promise<string> {
  const r = await cachedStage({
    root: cache,
    stage,
    label,
    inputs: { stage, label },
    produce: async (dir) => writeFileSync(join(dir, 'data.bin'), new Uint8Array(bytes)),
  });
  return r.dir;
}

const days = (n: number) => new Date(Date.now() - n * 86_400_000);

describe('moefy cache', () => {
  it('ls lists entries newest first with size, model and last use; prune removes by age, size or all', async () => {
    const cache = join(root, 'cache');
    const env = { env: { MOEFY_CACHE_DIR: cache } };
    const old = await entry(cache, 'calibrate', 'org/old-model', 4096);
    const recent = await entry(cache, 'targets', 'org/new-model', 2048);
    utimesSync(join(old, '.complete'), days(30), days(30));
    utimesSync(join(recent, '.complete'), days(2), days(2));
    // A reuse is a use: the marker's time moves to now.
    const reused = await cachedStage({
      root: cache,
      stage: 'targets',
      inputs: { stage: 'targets', label: 'org/new-model' },
      produce: () => Promise.reject(new Error('a cached entry is never produced again')),
    });
    expect(reused.cached).toBe(true);
    const partial = join(cache, 'calibrate', '.layers-abc');
    mkdirSync(partial, { recursive: true });
    writeFileSync(join(partial, 'layer.0.safetensors'), new Uint8Array(1024));
    utimesSync(join(partial, 'layer.0.safetensors'), days(10), days(10));
    utimesSync(partial, days(10), days(10));

    const ls = runCli(['cache', 'ls', '--json'], env);
    expect(ls.code, ls.stderr).toBe(0);
    const listed = JSON.parse(ls.stdout) as Listed;
    expect(listed.root).toBe(cache);
    expect(listed.entries.map((e) => [e.stage, e.model, e.complete])).toEqual([
      ['targets', 'org/new-model', true],
      ['calibrate', null, false],
      ['calibrate', 'org/old-model', true],
    ]);
    expect(listed.entries[0]!.bytes).toBeGreaterThanOrEqual(2048);
    expect(Date.now() - listed.entries[0]!.lastUsed).toBeLessThan(86_400_000);
    const table = runCli(['cache', 'ls'], env);
    expect(table.stdout).toContain(`cache ${cache}: 3 entries`);
    expect(table.stdout).toContain('.layers-abc (partial)');

    const none = runCli(['cache', 'prune'], env);
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe(
      'moefy: cache prune: say what to remove: --all, --older-than <days> or --max-size <GB>',
    );
    const bad = runCli(['cache', 'prune', '--older-than', 'soon'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('moefy: --older-than: expected a number ≥ 0, got "soon"');

    const aged = runCli(['cache', 'prune', '--older-than', '7'], env);
    expect(aged.stdout.trim()).toMatch(/^removed 2 entries, /);
    const left = (JSON.parse(runCli(['cache', 'ls', '--json'], env).stdout) as Listed).entries;
    expect(left.map((e) => e.model)).toEqual(['org/new-model']);

    await entry(cache, 'router', 'org/third', 1024);
    // Least recently used first: the targets entry (used now, but before the router entry) goes.
    const capped = runCli(['cache', 'prune', '--max-size', String(1500 / 2 ** 30)], env);
    expect(capped.stdout.trim()).toMatch(/^removed 1 entries, /);
    const kept = (JSON.parse(runCli(['cache', 'ls', '--json'], env).stdout) as Listed).entries;
    expect(kept.map((e) => e.model)).toEqual(['org/third']);

    expect(runCli(['cache', 'prune', '--all'], env).stdout.trim()).toMatch(/^removed 1 entries, /);
    expect(runCli(['cache', 'ls'], env).stdout).toBe(`cache ${cache}: 0 entries, 0.0 kB\n`);
  });
});

describe('cache cap (MOEFY_CACHE_MAX_GB)', () => {
  it('evicts whole finished entries, least recently used first, never one in use or unfinished work', async () => {
    const cache = join(root, 'capped');
    const a = await entry(cache, 'calibrate', 'org/a', 4096);
    const b = await entry(cache, 'targets', 'org/b', 4096);
    const c = await entry(cache, 'router', 'org/c', 4096);
    utimesSync(join(a, '.complete'), days(3), days(3));
    utimesSync(join(b, '.complete'), days(2), days(2));
    const partial = join(cache, 'calibrate', '.layers-x');
    mkdirSync(partial, { recursive: true });
    writeFileSync(join(partial, 'layer.0.safetensors'), new Uint8Array(8192));
    utimesSync(join(partial, 'layer.0.safetensors'), days(9), days(9));
    // In use: everything touched since a day ago (c). Under 17 kB, a (the oldest entry) must go; the partial
    // work is older still but is never evicted.
    const first = evictToCap(cache, { maxBytes: 17_000, inUseSince: days(1).getTime() });
    expect(first.removed.map((e) => e.model)).toEqual(['org/a']);
    expect([existsSync(a), existsSync(b), existsSync(c), existsSync(partial)]).toEqual([
      false,
      true,
      true,
      true,
    ]);
    // A cap nothing evictable can meet: b goes, c (in use) and the partial work stay, above the cap.
    const second = evictToCap(cache, { maxBytes: 1, inUseSince: days(1).getTime() });
    expect(second.removed.map((e) => e.model)).toEqual(['org/b']);
    expect(second.bytes).toBeGreaterThan(8192 + 4096);
    expect([existsSync(c), existsSync(partial)]).toEqual([true, true]);
  });

  it('reads the cap from MOEFY_CACHE_MAX_GB and refuses a value that is not a size', () => {
    expect(cacheCapBytes({})).toBeNull();
    expect(cacheCapBytes({ MOEFY_CACHE_MAX_GB: '1.5' })).toBe(1.5 * 2 ** 30);
    for (const bad of ['0', '-2', 'lots']) {
      expect(() => cacheCapBytes({ MOEFY_CACHE_MAX_GB: bad })).toThrowError(
        new InputError(`MOEFY_CACHE_MAX_GB: expected a size in GB greater than 0, got "${bad}"`),
      );
    }
  });
});
