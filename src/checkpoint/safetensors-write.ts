/**
 * Deterministic safetensors writer (routers, calibration caches): keys sorted by code unit, no timestamps, header
 * padded with spaces to 8 bytes so every tensor starts aligned. Same input → same bytes. Written to a temp file and
 * renamed, so an interrupted write never leaves a complete-looking file.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { registerTemp } from '../util/cleanup.js';
import { InternalError } from '../util/errors.js';
import { DTYPE_BYTES, product } from './safetensors-header.js';

const MAX_WRITE_CHUNK = 1 << 30;

export interface TensorToWrite {
  dtype: 'F32' | 'F16' | 'I64' | 'I32' | 'U8';
  shape: number[];
  /** Little-endian element bytes; F16 data is the half-precision bit patterns (see float32ToHalfBits). */
  data: ArrayBufferView;
}

export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Promise<void> {
  const names = Object.keys(tensors).sort(byCodeUnit);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = sortedObject(metadata);
  let offset = 0;
  for (const name of names) {
    const tensor = tensors[name]!;
    checkTensor(name, tensor);
    header[name] = {
      dtype: tensor.dtype,
      shape: tensor.shape,
      data_offsets: [offset, offset + tensor.data.byteLength],
    };
    offset += tensor.data.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, ' ')]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(padded.length));
  const chunks = [prefix, padded, ...names.map((n) => bytesOf(tensors[n]!.data))];
  await writeAtomically(path, chunks);
}

function checkTensor(name: string, { dtype, shape, data }: TensorToWrite): void {
  if (name === '__metadata__' || name.length === 0)
    throw new InternalError(`safetensors: invalid tensor name "${name}"`);
  const expected = DTYPE_BYTES[dtype] * product(shape);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || expected !== data.byteLength) {
    throw new InternalError(
      `safetensors: tensor ${name} has ${data.byteLength} bytes, ${dtype} [${shape.join(', ')}] needs ${expected}`,
    );
  }
}

async function writeAtomically(path: string, chunks: Uint8Array[]): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  // Registered so that an interrupt mid-write removes it: files in a directory that outlives the run (the stage
  // cache's per-layer calibration files) would otherwise keep a stray temp.
  const unregister = registerTemp(temp);
  try {
    const fh = await open(temp, 'w');
    try {
      for (const chunk of chunks) await writeFully(fh, chunk);
      await fh.sync();
    } catch (err) {
      await fh.close();
      await rm(temp, { force: true });
      throw err;
    }
    await fh.close();
    await rename(temp, path);
  } finally {
    unregister();
  }
}

/** One write call moves at most 2 GiB (and may move less): loop until the chunk is down. */
async function writeFully(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let done = 0; done < chunk.length;) {
    const { bytesWritten } = await fh.write(chunk, done, Math.min(chunk.length - done, MAX_WRITE_CHUNK));
    done += bytesWritten;
  }
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Locale-independent order: the same on every machine. */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedObject(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => byCodeUnit(a, b)));
}
