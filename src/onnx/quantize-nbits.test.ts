import { describe, expect, it } from 'vitest';
import { dequantizeNbits4, quantizeNbits4 } from './quantize-nbits.js';

/** W [K, N] row-major with distinct values per column. */
function weights(k: number, n: number): Float32Array {
  return Float32Array.from({ length: k * n }, (_, i) =>
    Math.fround(Math.sin(i * 0.731) * 0.2 + 0.03 * (i % n)),
  );
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  return out;
}

describe('4-bit block quantization (MatMulNBits layout)', () => {
  it('packs even k in the low nibble, column by column, with min/max scale and zero point', () => {
    // One column, one block: values 0..31 scaled; lo = 0 → zp 0, scale = max / 15.
    const k = 32;
    const data = Float32Array.from({ length: k }, (_, i) => i * 0.5);
    const q = quantizeNbits4({ data, k, n: 1, layout: 'in_out', block: 32 });
    expect(q.blocks).toBe(1);
    expect(q.scales[0]).toBe(Math.fround(15.5 / 15));
    expect(q.zeroPoints).toEqual(Uint8Array.of(0x80)); // zp 0 low; the missing second block pads with 8
    const level = (v: number) => Math.round(Math.fround(v * Math.fround(1 / q.scales[0]!)));
    expect(q.packed[0]).toBe(level(0) | (level(0.5) << 4));
    expect(q.packed[15]).toBe(level(15) | (level(15.5) << 4));
    expect(q.packed.length).toBe(16);
  });

  it('puts two blocks per zero-point byte, a short last block and an all-zero block quantizing to 0', () => {
    const k = 70; // blocks of 32, 32, 6
    const data = new Float32Array(k);
    for (let i = 32; i < k; i++) data[i] = -1 + i / 64; // block 0 all zero; negative lows after
    const q = quantizeNbits4({ data, k, n: 1, layout: 'in_out', block: 32 });
    expect(q.blocks).toBe(3);
    expect(q.scales[0]).toBe(0);
    expect(q.packed.subarray(0, 16).every((b) => b === 0)).toBe(true);
    const zp = (b: number) => (q.zeroPoints[b >> 1]! >> (4 * (b & 1))) & 0x0f;
    expect(q.zeroPoints.length).toBe(2);
    expect(zp(0)).toBe(0);
    expect(zp(1)).toBe(15); // all values negative: hi = 0 → zp at the top
    expect(zp(3)).toBe(8); // padding nibble
    expect(q.packed.subarray(32 + 3)).toEqual(new Uint8Array(13)); // values past K pack as 0
  });

  it('reads [out, in] and [in, out] weights to the same bytes, within half a step of every value', () => {
    const [k, n] = [96, 5];
    const w = weights(k, n);
    const a = quantizeNbits4({ data: w, k, n, layout: 'in_out', block: 32 });
    const b = quantizeNbits4({ data: transpose(w, k, n), k, n, layout: 'out_in', block: 32 });
    expect(b.packed).toEqual(a.packed);
    expect(b.scales).toEqual(a.scales);
    expect(b.zeroPoints).toEqual(a.zeroPoints);
    const back = dequantizeNbits4(a);
    for (let i = 0; i < k; i++) {
      for (let c = 0; c < n; c++) {
        const scale = a.scales[c * a.blocks + Math.floor(i / 32)]!;
        expect(Math.abs(back[i * n + c]! - w[i * n + c]!)).toBeLessThanOrEqual(scale / 2 + 1e-7);
      }
    }
  });
});
