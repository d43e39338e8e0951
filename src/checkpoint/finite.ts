/**
 * NaN/Inf weights make every downstream number NaN (logits, importance, router targets) without any error, so a
 * tensor is checked as it is read for use and a bad one is reported by name instead of silently propagated.
 */
import { CheckpointFormatError } from '../util/errors.js';
import { printable } from '../util/untrusted-text.js';

interface FiniteCheck {
  file: string;
  name: string;
  data: Float32Array;
}

/** Returns `data` unchanged when every value is finite; otherwise names the tensor, the count and the first index. */
export function assertFinite({ file, name, data }: FiniteCheck): Float32Array {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    // x - x is 0 for finite x and NaN for NaN and ±Inf: one branch-free test per element.
    if (data[i]! - data[i]! !== 0) {
      if (bad++ === 0) first = i;
    }
  }
  if (bad === 0) return data;
  throw new CheckpointFormatError(
    file,
    `${printable(name)}: ${bad} non-finite value(s) (first at index ${first}: ${data[first]}); the weights are corrupt`,
  );
}

/** Exponent bits that are all ones (Inf or NaN) in each stored float format. */
const NON_FINITE_MASK = { F32: 0x7f800000, F16: 0x7c00, BF16: 0x7f80 } as const;
export type StoredFloat = keyof typeof NON_FINITE_MASK;

/**
 * The stored bytes of a tensor with the same check as `assertFinite`, applied chunk by chunk as they stream past:
 * the first bad chunk stops the stream, and the rest is only scanned to count what the message reports.
 */
export function finiteChunks(t: {
  file: string;
  name: string;
  dtype: StoredFloat;
  source: Iterable<Uint8Array>;
}): Iterable<Uint8Array> {
  return {
    *[Symbol.iterator]() {
      let seen = 0;
      let bad = 0;
      let first = -1;
      let firstBits = 0;
      const size = t.dtype === 'F32' ? 4 : 2;
      for (const chunk of t.source) {
        if (bad > 0 || !allFinite(chunk, t.dtype)) {
          const words = wordsOf(chunk, t.dtype); // the exact scan, only for a failing chunk and what follows
          for (let i = 0, m = NON_FINITE_MASK[t.dtype]; i < words.length; i++) {
            if ((words[i]! & m) === m && bad++ === 0) [first, firstBits] = [seen + i, words[i]!];
          }
        }
        seen += chunk.byteLength / size;
        if (bad === 0) yield chunk;
      }
      if (bad === 0) return;
      throw new CheckpointFormatError(
        t.file,
        `${printable(t.name)}: ${bad} non-finite value(s) (first at index ${first}: ${describeBits(firstBits, t.dtype)}); the weights are corrupt`,
      );
    },
  };
}

/** The check of `finiteChunks` on one buffer of stored floats: throws the same error, else returns `bytes`. */
export function assertFiniteStored<T extends Uint8Array>(t: {
  file: string;
  name: string;
  dtype: StoredFloat;
  bytes: T;
}): T {
  if (allFinite(t.bytes, t.dtype)) return t.bytes;
  const chunks = finiteChunks({ ...t, source: [t.bytes] })[Symbol.iterator]();
  while (!chunks.next().done); // throws at the end, with the count and the first index
  return t.bytes;
}

/**
 * The fast test, on 32-bit words (two halves at a time): the exponent field shifted down to bit 0, plus one,
 * carries into the bit above the field exactly when the field is all ones. OR-ing every sum keeps any carry, so
 * the loop has no branch; the exact count and first index are only computed for a chunk that fails.
 */
function allFinite(chunk: Uint8Array, dtype: StoredFloat): boolean {
  const { field, shift, one, carry } = CARRY_TEST[dtype];
  const whole = chunk.byteLength >>> 2;
  const bytes = chunk.byteOffset % 4 === 0 ? chunk : chunk.slice();
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, whole);
  let acc = 0;
  for (let i = 0; i < whole; i++) acc |= ((words[i]! & field) >>> shift) + one;
  if ((acc & carry) !== 0) return false;
  if (whole * 4 === chunk.byteLength) return true;
  const tail = chunk[whole * 4]! | (chunk[whole * 4 + 1]! << 8); // a last 2-byte value
  return (tail & NON_FINITE_MASK[dtype]) !== NON_FINITE_MASK[dtype];
}

const CARRY_TEST = {
  F32: { field: 0x7f800000, shift: 23, one: 0x1, carry: 0x100 },
  F16: { field: 0x7c007c00, shift: 10, one: 0x10001, carry: 0x200020 },
  BF16: { field: 0x7f807f80, shift: 7, one: 0x10001, carry: 0x1000100 },
} as const;

function wordsOf(chunk: Uint8Array, dtype: StoredFloat): Uint16Array | Uint32Array {
  const size = dtype === 'F32' ? 4 : 2;
  const bytes = chunk.byteOffset % size === 0 ? chunk : chunk.slice(); // a copy starts at offset 0
  return size === 4
    ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2)
    : new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 1);
}

/** NaN, Infinity or -Infinity, as `assertFinite` prints the value. */
function describeBits(bits: number, dtype: StoredFloat): string {
  const mantissa = { F32: 0x7fffff, F16: 0x3ff, BF16: 0x7f }[dtype];
  if ((bits & mantissa) !== 0) return 'NaN';
  const sign = dtype === 'F32' ? bits >>> 31 : bits >>> 15;
  return sign ? '-Infinity' : 'Infinity';
}
