/**
 * The files of an output directory as a push sees them: every regular file below it, by its path relative to the
 * directory with `/` separators (the repo path), sorted. Dot-entries are skipped: they are temp dirs of an
 * interrupted convert (`.NAME.tmp-*`) or editor/OS litter, never moefy output.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface LocalFile {
  /** Repo path: relative, `/`-separated. */
  readonly path: string;
  /** Where the bytes are on disk. */
  readonly file: string;
  readonly size: number;
}

export async function listOutputFiles(dir: string, prefix = ''): Promise<LocalFile[]> {
  const out: LocalFile[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const file = join(dir, e.name);
    const path = `${prefix}${e.name}`;
    if (e.isDirectory()) out.push(...(await listOutputFiles(file, `${path}/`)));
    else if (e.isFile()) out.push({ path, file, size: (await stat(file)).size });
  }
  return out;
}

/** The git blob id of a file (sha1 over `blob <size>\0` + content), streamed: what the Hub lists for non-LFS files. */
export async function gitBlobOid(file: string): Promise<string> {
  const hash = createHash('sha1').update(`blob ${(await stat(file)).size}\0`);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
