/**
 * The resolved file list of a dataset split, kept in the Hub cache beside the refs
 * (`datasets--org--name/.moefy-splits/<sha>/<config>/<split>.json`): the Hub cache stores files, not listings, and
 * offline resolution needs to know which files make up the split. Written atomically after a successful listing.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../util/errors.js';
import { repoFolder } from './hub-cache.js';
import type { HubSettings } from './hub-settings.js';

const fileSchema = z.object({ path: z.string(), size: z.number().int().nonnegative(), oid: z.string() });
const recordSchema = z.object({
  revision: z.string(),
  sha: z.string(),
  layout: z.enum(['repo', 'convert']),
  files: z.array(fileSchema).min(1),
});

export type DatasetFile = z.infer<typeof fileSchema>;
export type SplitRecord = z.infer<typeof recordSchema>;

/** What a record path is keyed by. */
export interface SplitKey {
  readonly repo: string;
  readonly config: string;
  readonly split: string;
}

/** Config and split names become path segments of the record: nothing that could climb out of the folder. */
const SAFE_NAME = /^[\w][\w.-]*$/;

function recordPath(s: HubSettings, ref: SplitKey, sha: string): string {
  for (const [what, name] of [
    ['config', ref.config],
    ['split', ref.split],
  ] as const) {
    if (!SAFE_NAME.test(name) || name.includes('..'))
      throw new InputError(
        `dataset ${ref.repo}: invalid ${what} name '${name}' (letters, digits, '_', '-', '.')`,
      );
  }
  return join(
    repoFolder(s.cacheDir, ref.repo, 'dataset'),
    '.moefy-splits',
    sha,
    ref.config,
    `${ref.split}.json`,
  );
}

export async function readRecord(s: HubSettings, ref: SplitKey, sha: string): Promise<SplitRecord | null> {
  const text = await readFile(recordPath(s, ref, sha), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return recordSchema.parse(JSON.parse(text));
  } catch {
    return null; // a damaged record is re-resolved online (or reported missing offline)
  }
}

export async function writeRecord(s: HubSettings, ref: SplitKey, sha: string, r: SplitRecord): Promise<void> {
  const path = recordPath(s, ref, sha);
  await mkdir(join(path, '..'), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(r, null, 2)}\n`);
  await rename(temp, path);
}
