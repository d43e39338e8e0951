/**
 * Lazy safetensors reader: opening reads only the 8-byte length prefix and the header; each tensor is then read
 * from its own file position on demand, never the whole file. Layout: u64 LE header length, JSON header, data.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { StoredBytes } from '../ir/model.js';
import { CheckpointFormatError, InternalError } from '../util/errors.js';
import { halfBytesToFloat32 } from './float-convert.js';
import { printable } from '../util/untrusted-text.js';
import { MAX_HEADER_BYTES, parseHeader, type TensorInfo } from './safetensors-header.js';

export type { TensorInfo } from './safetensors-header.js';
/** @internal The header limit, for tests that build a file just past it. */
export { MAX_HEADER_BYTES } from './safetensors-header.js';

export interface SafetensorsFile {
  path: string;
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** The tensor's bytes exactly as stored (little-endian); `range`: only those bytes of it, read by offset. */
  readRaw(name: string, range?: ByteRange): Promise<Buffer>;
  /** F32/F16/BF16/F64 tensors upcast (or, for F64, rounded) to float32. */
  readFloat32(name: string): Promise<Float32Array>;
  /** `readFloat32` of bytes already read with `readRaw`. */
  decodeFloat32(name: string, raw: Buffer): Float32Array;
  /** The tensor's bytes streamed in chunks of at most 16 MiB (one reused buffer), read as they are consumed. */
  storedChunks(name: string, range?: ByteRange): StoredBytes;
}

/** Bytes [begin, end) of one tensor's data, counted from the tensor's first byte (a run of rows, say). */
export interface ByteRange {
  readonly begin: number;
  readonly end: number;
}

/** fs reads are capped at 2 GiB per call; tensors larger than that are read in chunks. */
const MAX_READ_CHUNK = 1 << 30;
/** Chunk of a streamed tensor: large enough for full-speed I/O, small enough to keep memory flat. */
const STREAM_CHUNK = 16 << 20;

export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  const { tensors, metadata } = await readHeader(path);
  const info = (name: string): TensorInfo => {
    const found = tensors.get(name);
    if (!found) throw new CheckpointFormatError(path, `${printable(name)}: no such tensor in this file`);
    return found;
  };
  // The file's byte span of `range` within the tensor (the whole tensor without one).
  const span = (name: string, range?: ByteRange): ByteRange => {
    const { begin, end } = info(name);
    if (!range) return { begin, end };
    if (!(range.begin >= 0 && range.begin <= range.end && begin + range.end <= end)) {
      throw new InternalError(
        `${printable(name)}: bytes [${range.begin}, ${range.end}) of a ${end - begin}-byte tensor`,
      );
    }
    return { begin: begin + range.begin, end: begin + range.end };
  };
  const readRaw = async (name: string, range?: ByteRange): Promise<Buffer> => {
    const { begin, end } = span(name, range);
    return withFile(path, (fh) => readExactly({ fh, path, position: begin, length: end - begin }));
  };
  const decodeFloat32 = (name: string, raw: Buffer): Float32Array => toFloat32(path, info(name), raw);
  const readFloat32 = async (name: string): Promise<Float32Array> => decodeFloat32(name, await readRaw(name));
  const storedChunks = (name: string, range?: ByteRange): StoredBytes => {
    const { begin, end } = span(name, range);
    return { byteLength: end - begin, chunks: () => streamRange(path, begin, end) };
  };
  return { path, tensors, metadata, readRaw, readFloat32, decodeFloat32, storedChunks };
}

/** Bytes [begin, end) of the file, read synchronously one chunk at a time into one buffer (aligned to 8). */
function* streamRange(path: string, begin: number, end: number): Generator<Uint8Array> {
  const buffer = new Uint8Array(new ArrayBuffer(Math.max(0, Math.min(STREAM_CHUNK, end - begin))));
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new CheckpointFormatError(
      path,
      `cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  try {
    for (let at = begin; at < end;) {
      const want = Math.min(buffer.length, end - at);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, buffer, got, want - got, at + got);
        if (n === 0) {
          throw new CheckpointFormatError(path, `data: file ended at byte ${at + got}, expected ${end}`);
        }
        got += n;
      }
      yield want === buffer.length ? buffer : buffer.subarray(0, want);
      at += want;
    }
  } finally {
    closeSync(fd);
  }
}

async function readHeader(path: string) {
  return withFile(path, async (fh) => {
    const fileSize = (await fh.stat()).size;
    if (fileSize < 8)
      throw new CheckpointFormatError(path, `header length: file is ${fileSize} bytes, needs >= 8`);
    const headerLength = (await readExactly({ fh, path, position: 0, length: 8 })).readBigUInt64LE(0);
    if (headerLength > BigInt(MAX_HEADER_BYTES)) {
      throw new CheckpointFormatError(
        path,
        `header length: ${headerLength} bytes exceeds the limit ${MAX_HEADER_BYTES}`,
      );
    }
    const length = Number(headerLength);
    if (8 + length > fileSize) {
      throw new CheckpointFormatError(
        path,
        `header length: ${length} bytes runs past the end of the ${fileSize}-byte file`,
      );
    }
    const bytes = await readExactly({ fh, path, position: 8, length });
    return parseHeader({
      file: path,
      json: decodeJson(path, bytes),
      dataStart: 8 + length,
      dataSize: fileSize - 8 - length,
    });
  });
}

function decodeJson(path: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new CheckpointFormatError(
      path,
      `header: expected UTF-8 JSON (${printable((err as Error).message)})`,
    );
  }
}

async function withFile<T>(path: string, body: (fh: FileHandle) => Promise<T>): Promise<T> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new CheckpointFormatError(
      path,
      `cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  try {
    return await body(fh);
  } finally {
    await fh.close();
  }
}

interface ReadRequest {
  fh: FileHandle;
  path: string;
  position: number;
  length: number;
}

/** Reads exactly `length` bytes or fails: a file truncated after opening must not yield zeros. */
async function readExactly({ fh, path, position, length }: ReadRequest): Promise<Buffer> {
  const out = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const want = Math.min(length - done, MAX_READ_CHUNK);
    const { bytesRead } = await fh.read(out, done, want, position + done);
    if (bytesRead === 0) {
      throw new CheckpointFormatError(
        path,
        `data: file ended at byte ${position + done}, expected ${position + length}`,
      );
    }
    done += bytesRead;
  }
  return out;
}

/** Safetensors data is little-endian, as is every platform Node ships for; typed arrays read host order. */
function toFloat32(path: string, info: TensorInfo, raw: Buffer): Float32Array {
  switch (info.dtype) {
    case 'F32': {
      const bytes = aligned(raw, 4);
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    }
    case 'F64': {
      const bytes = aligned(raw, 8);
      return Float32Array.from(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8));
    }
    case 'F16':
    case 'BF16':
      return halfBytesToFloat32(raw, info.dtype);
    default:
      throw new CheckpointFormatError(path, `${info.name}.dtype: expected a float dtype, got ${info.dtype}`);
  }
}

/** Typed-array views need element alignment: the buffer itself when aligned (no copy), else a copy (8-aligned). */
function aligned(raw: Buffer, elementBytes: number): Buffer {
  return raw.byteOffset % elementBytes === 0 ? raw : Buffer.from(raw);
}
