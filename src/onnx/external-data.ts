/**
 * Streams initializer bytes into one external data file as they are produced, so no model is ever whole in
 * memory. Several graphs may share one writer (MoE + fixed-threshold graph): a tensor written under a key is
 * written once and later requests for the same key reuse its segment.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { InternalError } from '../util/errors.js';

export interface Segment {
  readonly offset: number;
  readonly length: number;
}

/**
 * Bytes produced piece by piece (e.g. a weight transposed block by block), so a large tensor never needs a second
 * whole-size buffer. `chunks()` must yield exactly `byteLength` bytes in order.
 */
export interface ChunkedBytes {
  readonly byteLength: number;
  chunks(): Iterable<Uint8Array>;
}

export type TensorBytes = Uint8Array | ChunkedBytes;

/** All the bytes in one buffer (inline initializers, small tensors). */
export function joinBytes(bytes: TensorBytes): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  const out = new Uint8Array(bytes.byteLength);
  let at = 0;
  for (const c of bytes.chunks()) {
    out.set(c, at);
    at += c.length;
  }
  if (at !== out.length) throw new InternalError(`chunked tensor: ${at} bytes, expected ${out.length}`);
  return out;
}

/** Small tensors pack at 64 B; large ones start on a page so ORT can map them directly. */
const SMALL_ALIGN = 64;
const PAGE_ALIGN = 4096;
const PAGE_THRESHOLD = 1 << 20;

export class ExternalDataWriter {
  /** The file name graphs record as `location` (relative to the model file, so it must sit beside it). */
  readonly location: string;
  private fd: number | undefined;
  private size = 0;
  private readonly segments = new Map<string, Segment>();
  /**
   * The file is written strictly in order, so its sha256 comes for free instead of from a second full read.
   * Absent for scratch files nothing records (a layer-sequential run's part graphs: hashing a layer cost ~0.3 s).
   */
  private readonly hash: Hash | undefined;
  private digest: string | undefined;

  constructor(
    readonly path: string,
    opts: { readonly digest?: boolean } = {},
  ) {
    this.location = basename(path);
    this.fd = openSync(path, 'w');
    if (opts.digest ?? true) this.hash = createHash('sha256');
  }

  /** Bytes written so far (the file's length). */
  get bytesWritten(): number {
    return this.size;
  }

  /** Writes `bytes` under `key` at the next aligned offset; an already written key returns its segment. */
  put(key: string, bytes: TensorBytes): Segment {
    const length = bytes.byteLength;
    const known = this.segments.get(key);
    if (known) {
      if (known.length !== length) {
        throw new InternalError(
          `external data: "${key}" rewritten with ${length} bytes, was ${known.length}`,
        );
      }
      return known;
    }
    const fd = this.openFd();
    const align = length >= PAGE_THRESHOLD ? PAGE_ALIGN : SMALL_ALIGN;
    const offset = Math.ceil(this.size / align) * align;
    if (offset > this.size) {
      const padding = new Uint8Array(offset - this.size);
      writeSync(fd, padding, 0, padding.length, this.size);
      this.hash?.update(padding);
    }
    let at = offset;
    for (const chunk of bytes instanceof Uint8Array ? [bytes] : bytes.chunks()) {
      writeAll(fd, chunk, at);
      this.hash?.update(chunk);
      at += chunk.length;
    }
    if (at !== offset + length) {
      throw new InternalError(`external data: "${key}" produced ${at - offset} bytes, expected ${length}`);
    }
    this.size = offset + length;
    const segment = { offset, length };
    this.segments.set(key, segment);
    return segment;
  }

  /** The segment of a tensor already written under `key`, if any. */
  segment(key: string): Segment | undefined {
    return this.segments.get(key);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Hex sha256 of the whole file; closes the writer. */
  sha256(): string {
    if (!this.hash) throw new InternalError(`external data: ${this.path} was written without a digest`);
    this.close();
    this.digest ??= this.hash.digest('hex');
    return this.digest;
  }

  private openFd(): number {
    if (this.fd === undefined) throw new InternalError(`external data: ${this.path} already closed`);
    return this.fd;
  }
}

/** writeSync may write less than asked (and refuses > 2 GiB): loop in bounded chunks. */
const CHUNK = 64 << 20;
export function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const n = writeSync(fd, bytes, done, Math.min(CHUNK, bytes.length - done), position + done);
    done += n;
  }
}
