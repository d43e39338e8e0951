/**
 * Validation of a safetensors header: the JSON after the 8-byte length prefix. The file is untrusted, so every
 * entry is checked against the data area before any tensor is read (DESIGN.md §5).
 */
import type { DType } from '../ir/model.js';
import { CheckpointFormatError } from '../util/errors.js';
import { briefValue, printable } from '../util/untrusted-text.js';

/** Bytes per element of every dtype we accept. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Same limit as the reference implementation: a larger header is corrupt or hostile. */
export const MAX_HEADER_BYTES = 100_000_000;
export const MAX_RANK = 8;

/** Offsets are absolute file positions: `begin` is where the tensor's first byte lies in the file. */
export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

export interface ParsedHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
}

interface HeaderInput {
  file: string;
  json: unknown;
  /** File offset of the data area (8 + header length). */
  dataStart: number;
  dataSize: number;
}

export function parseHeader({ file, json, dataStart, dataSize }: HeaderInput): ParsedHeader {
  if (!isPlainObject(json)) throw new CheckpointFormatError(file, 'header: expected a JSON object');
  const metadata = parseMetadata(file, json.__metadata__);
  const tensors = new Map<string, TensorInfo>();
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') continue;
    const label = printable(name);
    const { dtype, shape, offsets } = parseEntry(file, label, entry);
    const expectedBytes = DTYPE_BYTES[dtype] * product(shape);
    checkExtent({ file, name: label, offsets, dataSize, expectedBytes });
    tensors.set(name, { name, dtype, shape, begin: dataStart + offsets[0], end: dataStart + offsets[1] });
  }
  checkNoOverlap(file, [...tensors.values()]);
  return { tensors, metadata };
}

function parseMetadata(file: string, raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (!isPlainObject(raw))
    throw new CheckpointFormatError(file, '__metadata__: expected an object of strings');
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string')
      throw new CheckpointFormatError(file, `__metadata__.${printable(key)}: expected a string`);
  }
  return { ...(raw as Record<string, string>) };
}

function parseEntry(file: string, name: string, entry: unknown) {
  if (!isPlainObject(entry)) throw new CheckpointFormatError(file, `${name}: expected an object`);
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    const known = Object.keys(DTYPE_BYTES).join(', ');
    throw new CheckpointFormatError(
      file,
      `${name}.dtype: expected one of ${known}, got ${briefValue(dtype)}`,
    );
  }
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every(isNonNegativeInt)) {
    throw new CheckpointFormatError(file, `${name}.shape: expected at most ${MAX_RANK} integers >= 0`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInt)) {
    throw new CheckpointFormatError(file, `${name}.data_offsets: expected [begin, end] integers >= 0`);
  }
  return { dtype: dtype as DType, shape: shape as number[], offsets: offsets as [number, number] };
}

interface ExtentCheck {
  file: string;
  name: string;
  offsets: [number, number];
  dataSize: number;
  expectedBytes: number;
}

function checkExtent({ file, name, offsets: [begin, end], dataSize, expectedBytes }: ExtentCheck): void {
  if (begin > end || end > dataSize) {
    throw new CheckpointFormatError(
      file,
      `${name}.data_offsets: [${begin}, ${end}] must lie inside the data area of ${dataSize} bytes`,
    );
  }
  if (end - begin !== expectedBytes) {
    throw new CheckpointFormatError(
      file,
      `${name}.data_offsets: ${end - begin} bytes, but dtype size x shape needs ${expectedBytes}`,
    );
  }
}

function checkNoOverlap(file: string, infos: TensorInfo[]): void {
  const sorted = infos.filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const [prev, cur] = [sorted[i - 1]!, sorted[i]!];
    if (cur.begin < prev.end) {
      throw new CheckpointFormatError(
        file,
        `${printable(cur.name)}.data_offsets: overlaps the bytes of ${printable(prev.name)}`,
      );
    }
  }
}

/** Product of a shape; may exceed 2^53 for hostile shapes, which then fails the byte-length check anyway. */
export function product(shape: readonly number[]): number {
  return shape.reduce((acc, d) => acc * d, 1);
}

function isNonNegativeInt(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
