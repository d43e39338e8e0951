/**
 * The files of one fake-Hub revision: a fixture directory with the ids the Hub reports per file (git blob sha1
 * for every file, sha256 for the ones stored in LFS). Cached per directory until a file's size or mtime changes.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface RepoFile {
  path: string;
  size: number;
  gitOid: string;
  sha256: string;
  lfs: boolean;
  read(): Promise<Buffer>;
}

export interface RevisionFiles {
  sha: string;
  files: Map<string, RepoFile>;
}

// Weight-like files go to LFS on the real Hub: their blob name in the cache is the sha256.
const LFS = /\.(safetensors|bin|onnx|data|parquet)$/;
const cache = new Map<string, { signature: string; files: Map<string, RepoFile> }>();

export async function loadRevision(dir: string, sha: string): Promise<RevisionFiles> {
  const paths = await walk(dir);
  const stats = await Promise.all(paths.map((p) => stat(p)));
  const signature = stats.map((s, i) => `${paths[i]}:${s.size}:${s.mtimeMs}`).join('|');
  const hit = cache.get(dir);
  if (hit?.signature === signature) return { sha, files: hit.files };
  const files = new Map<string, RepoFile>();
  for (const path of paths) {
    const content = await readFile(path);
    const name = relative(dir, path).split(sep).join('/');
    const gitOid = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
    const sha256 = createHash('sha256').update(content).digest('hex');
    files.set(name, {
      path: name,
      size: content.length,
      gitOid,
      sha256,
      lfs: LFS.test(name),
      read: () => readFile(path),
    });
  }
  cache.set(dir, { signature, files });
  return { sha, files };
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : Promise.resolve(e.isFile() ? [join(dir, e.name)] : []),
    ),
  );
  return nested.flat().sort();
}
