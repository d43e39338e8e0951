/**
 * Test helpers around a Hub cache dir: a fresh temp dir per test, and a check that the cache holds nothing corrupt
 * (every blob's name is its content hash, no `.incomplete` leftovers, no dangling snapshot links).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

export async function tempDir(prefix = 'moefy-hub-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** Problems found in the cache, empty when intact. */
export async function cacheProblems(cacheDir: string): Promise<string[]> {
  const problems: string[] = [];
  for (const repo of await readdir(cacheDir).catch(() => [] as string[])) {
    const blobs = join(cacheDir, repo, 'blobs');
    for (const name of await readdir(blobs).catch(() => [] as string[])) {
      const content = await readFile(join(blobs, name));
      if (name !== blobId(name, content))
        problems.push(`${repo}/blobs/${name}: content does not match its name`);
    }
    const snapshots = join(cacheDir, repo, 'snapshots');
    for (const sha of await readdir(snapshots).catch(() => [] as string[])) {
      for (const file of await readdir(join(snapshots, sha))) {
        if (!(await stat(join(snapshots, sha, file)).catch(() => null)))
          problems.push(`${repo}/${sha}/${file}: dangling`);
      }
    }
  }
  return problems;
}

/** LFS blobs are named by sha256, others by git blob sha1; anything else (e.g. `.incomplete`) never matches. */
function blobId(name: string, content: Buffer): string {
  if (name.length === 64) return createHash('sha256').update(content).digest('hex');
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}
