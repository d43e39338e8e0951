import { describe, expect, it } from 'vitest';
import {
  bf16BitsToFloat,
  f16BitsToFloat,
  float32ToHalfBits,
  floatToBf16Bits,
  floatToF16Bits,
  halfBytesToFloat32,
} from './float-convert.js';

describe('f16', () => {
  it('decodes known bit patterns', () => {
    expect(f16BitsToFloat(0x3c00)).toBe(1);
    expect(f16BitsToFloat(0xc000)).toBe(-2);
    expect(f16BitsToFloat(0x7bff)).toBe(65504);
    expect(f16BitsToFloat(0x0001)).toBe(2 ** -24);
    expect(f16BitsToFloat(0x0400)).toBe(2 ** -14);
    expect(f16BitsToFloat(0x8000)).toBe(-0);
    expect(f16BitsToFloat(0x7c00)).toBe(Infinity);
    expect(f16BitsToFloat(0xfc00)).toBe(-Infinity);
    expect(f16BitsToFloat(0x7e00)).toBeNaN();
  });

  it('round-trips every non-NaN bit pattern exactly', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0) continue; // NaN payloads need not survive
      expect(floatToF16Bits(f16BitsToFloat(bits))).toBe(bits);
    }
  });

  it('rounds to nearest, ties to even, and saturates to infinity', () => {
    expect(floatToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even mantissa 0
    expect(floatToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even mantissa 2
    expect(floatToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(floatToF16Bits(65519)).toBe(0x7bff);
    expect(floatToF16Bits(65520)).toBe(0x7c00);
    expect(floatToF16Bits(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal → 0
    expect(floatToF16Bits(1.5 * 2 ** -25)).toBe(1);
    expect(floatToF16Bits(NaN) & 0x7fff).toBeGreaterThan(0x7c00);
  });
});

describe('bf16', () => {
  it('decodes as the top half of a float32', () => {
    expect(bf16BitsToFloat(0x3f80)).toBe(1);
    expect(bf16BitsToFloat(0xc040)).toBe(-3);
    expect(bf16BitsToFloat(0x7f80)).toBe(Infinity);
  });

  it('round-trips every non-NaN bit pattern and rounds ties to even', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7f80) === 0x7f80 && (bits & 0x7f) !== 0) continue;
      expect(floatToBf16Bits(bf16BitsToFloat(bits))).toBe(bits);
    }
    expect(floatToBf16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(floatToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(Number.isNaN(bf16BitsToFloat(floatToBf16Bits(NaN)))).toBe(true);
  });
});

describe('array conversion', () => {
  it('decodes little-endian bytes at any byte offset', () => {
    const bytes = new Uint8Array([0xff, 0x00, 0x3c, 0x00, 0xc0]); // one junk byte, then 1.0 and -2.0 as f16
    expect([...halfBytesToFloat32(bytes.subarray(1), 'F16')]).toEqual([1, -2]);
    const encoded = float32ToHalfBits(Float32Array.of(1, -3, 0.5), 'BF16');
    expect([...halfBytesToFloat32(new Uint8Array(encoded.buffer), 'BF16')]).toEqual([1, -3, 0.5]);
  });

  it('array encoders and decoders agree with the scalar ones on every kind of bit pattern', () => {
    // Ties, carries into the exponent, overflow to Inf, subnormals, NaNs, zeros, random words.
    const words = [0x3f808000, 0x3f818000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00001];
    words.push(0xffc00000, 0x00000001, 0x80000000, 0, 0x00ff8000, 0x477fefff, 0x38800000);
    for (let i = 0, x = 12345; i < 4000; i++) words.push((x = (Math.imul(x, 1103515245) + 12345) >>> 0));
    const values = new Float32Array(Uint32Array.from(words).buffer);
    for (const kind of ['BF16', 'F16'] as const) {
      const scalar = kind === 'BF16' ? floatToBf16Bits : floatToF16Bits;
      expect([...float32ToHalfBits(values, kind)]).toEqual([...values].map((v) => scalar(v)));
      const bits = Uint16Array.from(words.map((w) => w >>> 16));
      const decode = kind === 'BF16' ? bf16BitsToFloat : f16BitsToFloat;
      const decoded = halfBytesToFloat32(new Uint8Array(bits.buffer), kind);
      expect([...decoded]).toEqual([...bits].map((b) => Math.fround(decode(b))));
    }
  });
});
