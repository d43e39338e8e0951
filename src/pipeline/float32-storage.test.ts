/**
 * Widening in place (WidenedBytes.fill: the half bytes copied into the upper half of the float32 buffer, then
 * widened front to back) gives the values the chunk-by-chunk decoder gives, bit for bit: bf16 and f16, even and
 * odd lengths, chunks of any even size, special values (±0, subnormals, ±Inf, NaN) included.
 */
import { describe, expect, it } from 'vitest';
import { halfBytesToFloat32 } from '../checkpoint/float-convert.js';
import { InternalError } from '../util/errors.js';
import { WidenedBytes } from './float32-storage.js';

/** `count` 16-bit patterns: every special class first, then a spread over the whole range. */
function halfBits(count: number): Uint8Array {
  const special = [0x0000, 0x8000, 0x0001, 0x8001, 0x7f80, 0xff80, 0x7c00, 0xfc00, 0x7fc1, 0x3f80, 0x3c00];
  const bits = Uint16Array.from({ length: count }, (_, i) => special[i] ?? (i * 40503) & 0xffff);
  return new Uint8Array(bits.buffer);
}

function stored(bytes: Uint8Array, chunk: number) {
  return {
    byteLength: bytes.byteLength,
    *chunks() {
      for (let at = 0; at < bytes.byteLength; at += chunk) yield bytes.slice(at, at + chunk);
    },
  };
}

describe('WidenedBytes.fill', () => {
  it.each([
    ['BF16', 1, 2],
    ['BF16', 4097, 6],
    ['BF16', 4096, 1024],
    ['F16', 4097, 6],
    ['F16', 2, 4],
  ] as const)(
    '%s, %i values in chunks of %i bytes: the decoder’s values, bit for bit',
    (kind, count, chunk) => {
      const half = halfBits(count);
      const widened = new WidenedBytes('w', kind, stored(half, chunk));
      const out = new Float32Array(count);
      widened.fill(out);
      const expected = halfBytesToFloat32(half, kind);
      expect(new Uint32Array(out.buffer)).toEqual(new Uint32Array(expected.buffer));
      // The streamed chunks carry the same bytes.
      const streamed = Buffer.concat([...widened.chunks()]);
      expect(streamed.equals(Buffer.from(out.buffer))).toBe(true);
    },
  );

  it('also into a buffer that starts mid-way in its ArrayBuffer (a pooled or shared buffer)', () => {
    const half = halfBits(9);
    const backing = new Float32Array(12);
    const out = backing.subarray(1, 10);
    new WidenedBytes('w', 'BF16', stored(half, 4)).fill(out);
    expect(new Uint32Array(out.slice().buffer)).toEqual(
      new Uint32Array(halfBytesToFloat32(half, 'BF16').buffer),
    );
    expect([backing[0], backing[10], backing[11]]).toEqual([0, 0, 0]);
  });

  it('a buffer of the wrong size is an InternalError', () => {
    const w = new WidenedBytes('w', 'BF16', stored(halfBits(4), 8));
    expect(() => w.fill(new Float32Array(3))).toThrow(new InternalError('w: 16 bytes into a buffer of 12'));
  });
});
