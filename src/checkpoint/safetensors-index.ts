/**
 * One view over a checkpoint's weights: `model.safetensors`, or `model.safetensors.index.json` plus its shards.
 * Shard paths come from an untrusted file, so none may leave the checkpoint directory, lexically or via symlinks.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { TensorHandle } from '../ir/model.js';
import { CheckpointFormatError, InternalError } from '../util/errors.js';
import { assertFinite, assertFiniteStored, finiteChunks, type StoredFloat } from './finite.js';
import { printable } from '../util/untrusted-text.js';
import { openSafetensors, type SafetensorsFile, type TensorInfo } from './safetensors-read.js';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
export const MAX_INDEX_BYTES = 50_000_000;

export interface TensorStore {
  /** Every tensor of the checkpoint; `file` is the absolute path of the file holding it. */
  tensors: Map<string, TensorInfo & { file: string }>;
  /** A lazy handle; throws CheckpointFormatError for an unknown name. */
  handle(name: string): TensorHandle;
  /** Absolute paths of the weight files, sorted by name. */
  files: string[];
}

export async function openTensorStore(dir: string): Promise<TensorStore> {
  const root = resolve(dir);
  if (await exists(join(root, INDEX_FILE))) return storeOf(root, await openShards(root));
  if (await exists(join(root, SINGLE_FILE)))
    return storeOf(root, [await openSafetensors(join(root, SINGLE_FILE))]);
  throw new CheckpointFormatError(root, `weights: expected ${SINGLE_FILE} or ${INDEX_FILE}`);
}

async function openShards(root: string): Promise<SafetensorsFile[]> {
  const indexPath = join(root, INDEX_FILE);
  const weightMap = await readWeightMap(indexPath);
  const shardNames = [...new Set(weightMap.values())].sort();
  const allowed = await allowedRoots(root);
  const shards = new Map<string, SafetensorsFile>();
  for (const shard of shardNames) {
    shards.set(shard, await openSafetensors(await checkedShardPath({ root, allowed, indexPath, shard })));
  }
  for (const [tensor, shard] of weightMap) {
    if (!shards.get(shard)!.tensors.has(tensor)) {
      throw new CheckpointFormatError(
        indexPath,
        `weight_map.${printable(tensor)}: listed in ${printable(shard)}, but that shard lacks it`,
      );
    }
  }
  return [...shards.values()];
}

async function readWeightMap(indexPath: string): Promise<Map<string, string>> {
  if ((await stat(indexPath)).size > MAX_INDEX_BYTES) {
    throw new CheckpointFormatError(indexPath, `size: exceeds the limit of ${MAX_INDEX_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(indexPath, 'utf8'));
  } catch (err) {
    throw new CheckpointFormatError(indexPath, `expected JSON (${printable((err as Error).message)})`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new CheckpointFormatError(indexPath, 'weight_map: expected an object of tensor name → shard file');
  }
  const entries = Object.entries(map);
  const bad = entries.find(([, shard]) => typeof shard !== 'string' || shard.length === 0);
  if (bad)
    throw new CheckpointFormatError(indexPath, `weight_map.${printable(bad[0])}: expected a shard file name`);
  return new Map(entries as [string, string][]);
}

interface ShardCheck {
  root: string;
  allowed: string[];
  indexPath: string;
  shard: string;
}

async function checkedShardPath({ root, allowed, indexPath, shard }: ShardCheck): Promise<string> {
  const field = `weight_map shard "${printable(shard)}"`;
  if (isAbsolute(shard) || /^[a-zA-Z]:/.test(shard)) {
    throw new CheckpointFormatError(
      indexPath,
      `${field}: expected a path relative to the checkpoint directory`,
    );
  }
  if (shard.split(/[\\/]/).includes('..')) {
    throw new CheckpointFormatError(indexPath, `${field}: must not contain ".."`);
  }
  const path = join(root, shard);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new CheckpointFormatError(indexPath, `${field}: file not found in ${root}`);
  }
  if (!allowed.some((dir) => isInside(dir, real))) {
    throw new CheckpointFormatError(
      indexPath,
      `${field}: resolves to ${real}, outside the checkpoint directory`,
    );
  }
  return path;
}

/**
 * The checkpoint dir, plus — for a Hugging Face cache snapshot (`<repo>/snapshots/<sha>/`), whose files are
 * symlinks into `<repo>/blobs/` — that repo's blob store.
 */
async function allowedRoots(root: string): Promise<string[]> {
  const roots = [await realpath(root)];
  if (basename(dirname(root)) === 'snapshots') {
    const blobs = join(root, '..', '..', 'blobs');
    if (await exists(blobs)) roots.push(await realpath(blobs));
  }
  return roots;
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

function storeOf(root: string, files: SafetensorsFile[]): TensorStore {
  const tensors = new Map<string, TensorInfo & { file: string }>();
  for (const file of files) {
    for (const info of file.tensors.values()) {
      const previous = tensors.get(info.name);
      if (previous) {
        throw new CheckpointFormatError(
          file.path,
          `${printable(info.name)}: also stored in ${previous.file}`,
        );
      }
      tensors.set(info.name, { ...info, file: file.path });
    }
  }
  const byPath = new Map(files.map((f) => [f.path, f]));
  const handle = (name: string): TensorHandle => {
    const info = tensors.get(name);
    if (!info) throw new CheckpointFormatError(root, `${printable(name)}: no such tensor in the checkpoint`);
    const file = byPath.get(info.file)!;
    if (!isStoredFloat(info.dtype)) {
      return {
        name,
        dtype: info.dtype,
        shape: info.shape,
        file: info.file,
        read: async () => assertFinite({ file: info.file, name, data: await file.readFloat32(name) }),
      };
    }
    return floatHandle(file, { ...info, dtype: info.dtype }, { first: 0, count: info.shape[0] ?? 1 });
  };
  return { tensors, handle, files: files.map((f) => f.path) };
}

/**
 * A float tensor's handle, or the handle of rows [first, first + count) of its dim 0: the rows' bytes are one
 * contiguous range of the file, read by offset, so a slice costs only its own bytes.
 */
function floatHandle(
  file: SafetensorsFile,
  info: TensorInfo & { file: string; dtype: StoredFloat },
  rows: { first: number; count: number },
): TensorHandle {
  const { name, dtype } = info;
  const whole = info.shape[0] ?? 1;
  if (!(Number.isInteger(rows.first) && Number.isInteger(rows.count) && rows.first >= 0 && rows.count >= 0)) {
    throw new InternalError(`${printable(name)}: rows [${rows.first}, +${rows.count})`);
  }
  if (rows.first + rows.count > whole) {
    throw new InternalError(
      `${printable(name)}: rows [${rows.first}, ${rows.first + rows.count}) of ${whole}`,
    );
  }
  const rowBytes = whole === 0 ? 0 : (info.end - info.begin) / whole;
  const range = { begin: rows.first * rowBytes, end: (rows.first + rows.count) * rowBytes };
  return {
    name,
    dtype,
    shape: info.shape.length === 0 ? info.shape : [rows.count, ...info.shape.slice(1)],
    file: info.file,
    read: async () => {
      // The bit test on the stored bytes is several times faster than testing the decoded floats.
      const bytes = await file.readRaw(name, range);
      assertFiniteStored({ file: info.file, name, dtype, bytes });
      return file.decodeFloat32(name, bytes);
    },
    stored: () => {
      const bytes = file.storedChunks(name, range);
      return {
        byteLength: bytes.byteLength,
        chunks: () => finiteChunks({ file: info.file, name, dtype, source: bytes.chunks() }),
      };
    },
    rows: (first, count) => {
      if (first < 0 || first + count > rows.count) {
        throw new InternalError(
          `${printable(name)}: rows [${first}, ${first + count}) of a ${rows.count}-row slice`,
        );
      }
      return floatHandle(file, info, { first: rows.first + first, count });
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function isStoredFloat(dtype: string): dtype is StoredFloat {
  return dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
}
