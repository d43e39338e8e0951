/** A checkpoint directory on disk: the same file rules as a Hub snapshot, checked before any stage reads it. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointFormatError, InputError } from '../util/errors.js';
import { readShardNames, selectFiles } from './checkpoint-files.js';

/** Names of the files moefy needs from `dir`, in fetch order (config, tokenizer, …, weights, shards). */
export async function localCheckpointFiles(dir: string): Promise<string[]> {
  const names = await regularFiles(dir);
  if (!names.has('config.json')) {
    throw new InputError(
      `${dir}: no config.json; a local checkpoint directory holds config.json, tokenizer files and safetensors weights`,
    );
  }
  const selection = selectFiles(names, dir, (detail) => new InputError(detail));
  if (!selection.index) return selection.base;
  const indexPath = join(dir, selection.index);
  const shards = await readShardNames(indexPath, indexPath);
  const missing = shards.filter((s) => !names.has(s));
  if (missing.length > 0)
    throw new CheckpointFormatError(
      indexPath,
      `names shard files missing from the directory: ${missing.join(', ')}`,
    );
  return [...selection.base, ...shards];
}

async function regularFiles(dir: string): Promise<Set<string>> {
  const entries = await readdir(dir);
  const files = await Promise.all(
    entries.map(async (name) => ((await stat(join(dir, name)).catch(() => null))?.isFile() ? name : null)),
  );
  return new Set(files.filter((n): n is string => n !== null));
}
