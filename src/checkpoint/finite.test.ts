import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../util/errors.js';
import { finiteChunks, type StoredFloat } from './finite.js';
import { float32ToHalfBits } from './float-convert.js';

/** `values` stored as `dtype`, little-endian, cut into chunks of `chunk` bytes. */
function storedChunks(values: number[], dtype: StoredFloat, chunk: number): Uint8Array[] {
  const f32 = Float32Array.from(values);
  const typed = dtype === 'F32' ? f32 : float32ToHalfBits(f32, dtype);
  const bytes = new Uint8Array(typed.buffer.slice(0));
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += chunk) out.push(bytes.subarray(at, at + chunk));
  return out;
}

function drain(dtype: StoredFloat, chunks: Uint8Array[]): Uint8Array[] {
  return [...finiteChunks({ file: 'f.safetensors', name: 'w', dtype, source: chunks })].map((c) => c.slice());
}

describe('finiteChunks (stored bytes checked as they stream)', () => {
  const dtypes: StoredFloat[] = ['F32', 'F16', 'BF16'];

  it.each(dtypes)('%s: finite values pass through unchanged, whatever the chunking', (dtype) => {
    // Largest finite values, subnormals, signed zeros: nothing here may trip the exponent test.
    const max = { F32: 3.4e38, F16: 65504, BF16: 3.38e38 }[dtype];
    const values = [0, -0, 1, -1, max, -max, 1e-40, 6e-8, 0.5, 3, -7, 11];
    for (const chunk of [2, 4, 6, 48]) {
      const size = dtype === 'F32' ? 4 : 2;
      if (chunk % size !== 0) continue;
      const input = storedChunks(values, dtype, chunk);
      expect(drain(dtype, input)).toEqual(input.map((c) => c.slice()));
    }
  });

  it.each(dtypes)('%s: NaN and ±Infinity are counted across chunks and the first is named', (dtype) => {
    const values = [1, 2, 3, 4, 5, Number.NEGATIVE_INFINITY, 7, Number.NaN, 9, Number.POSITIVE_INFINITY, 11];
    const size = dtype === 'F32' ? 4 : 2;
    const error = (() => {
      try {
        drain(dtype, storedChunks(values, dtype, 3 * size)); // odd chunking: a 2-byte tail per chunk
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect((error as Error).message).toBe(
      'f.safetensors: w: 3 non-finite value(s) (first at index 5: -Infinity); the weights are corrupt',
    );
  });

  it('yields the chunks before the first bad one and nothing after it', () => {
    const chunks = storedChunks([1, 2, Number.NaN, 4, 5, 6], 'BF16', 4);
    const seen: number[] = [];
    expect(() => {
      for (const c of finiteChunks({ file: 'f', name: 'w', dtype: 'BF16', source: chunks }))
        seen.push(c.length);
    }).toThrow(/w: 1 non-finite value\(s\) \(first at index 2: NaN\)/);
    expect(seen).toEqual([4]);
  });

  it('reads chunks that start at an odd byte offset', () => {
    const bytes = new Uint8Array(1 + 8);
    bytes.set(storedChunks([1, Number.POSITIVE_INFINITY, 3, 4], 'BF16', 8)[0]!, 1);
    expect(() => drain('BF16', [bytes.subarray(1)])).toThrow(/first at index 1: Infinity/);
  });
});
