/**
 * Disk-full and permission faults injected under `moefy convert`: tiny tmpfs mounts (ENOSPC), a read-only mount
 * (EROFS), a path under a file (ENOTDIR), a /proc path (where Node's recursive mkdir would spin forever) and, when
 * not root, a chmod 555 parent (EACCES). Each ends with exit 2, one `moefy:` line naming the path and the cause,
 * and nothing partial left behind.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { completeEntries, smallRecipe, startConvert, strays } from './fault-run.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-disk-'));
const recipe = smallRecipe(root);
const warmCache = join(root, 'cache');
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  rmSync(root, { recursive: true, force: true });
});

const isRoot = process.getuid?.() === 0;

/** Mounts a tmpfs at `root/name`; false when this sandbox does not allow it. */
function mountTmpfs(name: string, options: string): string | undefined {
  const dir = join(root, name);
  mkdirSync(dir);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status !== 0) return undefined;
  mounts.push(dir);
  return dir;
}

const canMount = isRoot && mountTmpfs('probe', 'size=64k') !== undefined;
const tmpfsTitle = canMount
  ? 'tmpfs faults'
  : `tmpfs faults (skipped: ${isRoot ? 'mount -t tmpfs is not allowed here' : 'mounting needs root'})`;

/** Runs convert expecting an OutputError: exit 2 and `moefy: <message>` as the one error line, last on stderr. */
async function failingConvert(o: { out: string; cache: string }): Promise<string> {
  const r = await startConvert({ recipe, ...o }).done;
  expect(r.code, r.stderr).toBe(2);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('moefy:'));
  expect(errors).toHaveLength(1);
  expect(r.stderr.trimEnd().endsWith(errors[0]!)).toBe(true);
  expect(existsSync(o.out)).toBe(false);
  return errors[0]!;
}

describe.skipIf(!canMount)(tmpfsTitle, () => {
  it('a full output disk (ENOSPC): clear message, nothing left on the disk', async () => {
    const disk = mountTmpfs('small-out', 'size=2m')!;
    const out = join(disk, 'out');
    const line = await failingConvert({ out, cache: warmCache });
    expect(line).toMatch(`moefy: ${out}: cannot write the output: no space left on the device (ENOSPC`);
    expect(readdirSync(disk)).toEqual([]);
    expect(completeEntries(warmCache)).toHaveLength(3); // calibrate (with adapt), targets, router: finished before emit, still usable
  });

  it('a full cache disk (ENOSPC): clear message, no complete entry and no temp dir in the cache', async () => {
    const cache = join(mountTmpfs('small-cache', 'size=1m')!, 'cache');
    const line = await failingConvert({ out: join(root, 'out-a'), cache });
    expect(line).toBe(
      `moefy: ${cache}: cannot write the calibrate stage cache: no space left on the device (ENOSPC); ` +
        'set MOEFY_CACHE_DIR to a writable directory with free space',
    );
    expect(completeEntries(cache)).toEqual([]);
    expect(strays(cache)).toEqual([]);
  });

  it('a read-only output or cache disk (EROFS) fails before any stage runs', async () => {
    const disk = mountTmpfs('read-only', 'size=64k,ro')!;
    const out = join(disk, 'out');
    expect(await failingConvert({ out, cache: warmCache })).toBe(
      `moefy: ${out}: cannot create it: read-only file system (EROFS at ${disk}/)`,
    );
    const cache = join(disk, 'cache');
    expect(await failingConvert({ out: join(root, 'out-b'), cache })).toBe(
      `moefy: ${cache}: cannot write the calibrate stage cache: read-only file system (EROFS); ` +
        'set MOEFY_CACHE_DIR to a writable directory with free space',
    );
  });
});

describe('paths that cannot hold a directory', () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'not a directory');

  it('an output or cache under a file (ENOTDIR)', async () => {
    const out = join(file, 'out');
    expect(await failingConvert({ out, cache: warmCache })).toBe(
      `moefy: ${out}: cannot create it: a parent path is not a directory (ENOTDIR at ${file}/)`,
    );
    const cache = join(file, 'cache');
    expect(await failingConvert({ out: join(root, 'out-c'), cache })).toBe(
      `moefy: ${cache}: cannot write the calibrate stage cache: a parent path is not a directory (ENOTDIR); ` +
        'set MOEFY_CACHE_DIR to a writable directory with free space',
    );
  });

  it('an output under /proc fails instead of spinning in a recursive mkdir', async () => {
    const out = '/proc/moefy-test/out';
    expect(await failingConvert({ out, cache: warmCache })).toMatch(
      new RegExp(`^moefy: ${out}: cannot create it: (no such file or directory \\(ENOENT|permission denied)`),
    );
  });

  it.skipIf(isRoot)(
    'a read-only parent (chmod 555, EACCES; skipped as root: root ignores mode bits)',
    async () => {
      const parent = join(root, 'locked');
      mkdirSync(parent);
      chmodSync(parent, 0o555);
      const out = join(parent, 'out');
      expect(await failingConvert({ out, cache: warmCache })).toBe(
        `moefy: ${out}: cannot create it: permission denied (EACCES at ${parent}/)`,
      );
      chmodSync(parent, 0o755);
    },
  );
});
