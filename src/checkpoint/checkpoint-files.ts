/**
 * Which files of a checkpoint moefy needs, decided from a listing of names (a local dir, a Hub tree or a cached
 * snapshot): the same rule everywhere, so a cache hit holds exactly what a download would fetch.
 */
import { readFile, stat } from 'node:fs/promises';
import { CheckpointFormatError } from '../util/errors.js';
import { briefValue, printable } from '../util/untrusted-text.js';
import { MAX_INDEX_BYTES } from './safetensors-index.js';

export const WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX = 'model.safetensors.index.json';
export const REQUIRED_FILES: readonly string[] = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
export const OPTIONAL_FILES: readonly string[] = ['generation_config.json', 'special_tokens_map.json'];
const PYTORCH_FILES = ['pytorch_model.bin', 'pytorch_model.bin.index.json'];

export interface FileSelection {
  /** Fetched first, in this order: required files, the optional ones present, then the weights or their index. */
  base: string[];
  /** The shard index when weights are sharded: its weight_map names the remaining files. */
  index: string | null;
}

/** `missing` builds the caller's error class (InputError locally, HubError for a repo). */
export function selectFiles(
  names: ReadonlySet<string>,
  where: string,
  missing: (detail: string) => Error,
): FileSelection {
  const absent = REQUIRED_FILES.filter((n) => !names.has(n));
  if (absent.length > 0) throw missing(`${where}: missing ${absent.join(', ')}`);
  const present = [...REQUIRED_FILES, ...OPTIONAL_FILES.filter((n) => names.has(n))];
  // The index wins when both exist, as in the tensor reader (safetensors-index.ts), so both see the same weights.
  if (names.has(WEIGHTS_INDEX)) return { base: [...present, WEIGHTS_INDEX], index: WEIGHTS_INDEX };
  if (names.has(WEIGHTS_FILE)) return { base: [...present, WEIGHTS_FILE], index: null };
  if (PYTORCH_FILES.some((n) => names.has(n))) {
    throw new CheckpointFormatError(where, 'has only pytorch_model.bin weights; moefy requires safetensors');
  }
  throw missing(`${where}: missing ${WEIGHTS_FILE} (or ${WEIGHTS_INDEX} with its shards)`);
}

/** Shard file names of a `model.safetensors.index.json`, sorted and unique; each must stay inside the snapshot. */
export async function readShardNames(indexPath: string, label: string): Promise<string[]> {
  const bytes = (await stat(indexPath)).size;
  if (bytes > MAX_INDEX_BYTES)
    throw new CheckpointFormatError(label, `${bytes} bytes, over the ${MAX_INDEX_BYTES} limit`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(indexPath, 'utf8'));
  } catch (err) {
    throw new CheckpointFormatError(label, `not valid JSON (${printable((err as Error).message)})`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new CheckpointFormatError(label, 'weight_map: expected an object of tensor name → shard file');
  }
  const shards = new Set<string>();
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== 'string' || !isPlainFileName(shard)) {
      throw new CheckpointFormatError(
        label,
        `weight_map.${printable(tensor)}: shard ${briefValue(shard)} is not a plain file name in the checkpoint dir`,
      );
    }
    shards.add(shard);
  }
  if (shards.size === 0) throw new CheckpointFormatError(label, 'weight_map: names no shard files');
  return [...shards].sort();
}

/** A shard may not name a folder, a parent or an absolute path: any of those could leave the snapshot dir. */
function isPlainFileName(name: string): boolean {
  return (
    name !== '' &&
    name !== '.' &&
    name !== '..' &&
    !/[/\\]/.test(name) &&
    !/^[a-zA-Z]:/.test(name) &&
    !name.includes('\0')
  );
}
