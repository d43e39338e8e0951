import { describe, expect, it } from 'vitest';
import { quantizeUint8Columns, quantizeUint8Tensor, roundHalfEven } from './quantize-uint8.js';

describe('8-bit weights (dynamic quantizer, QUInt8)', () => {
  it('rounds ties to even like numpy', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven)).toEqual([
      0, 2, 2, -0, -2, -2, 2, -3,
    ]);
  });

  it('maps each column [min(lo, 0), max(hi, 0)] onto 0..255; a zero column gets scale 1, zero point 0', () => {
    const w = Float32Array.of(1, 0, 0, 0.25, 0.5, 0, -2, 0.125, 0); // [3, 3], last column zero
    const q = quantizeUint8Columns(w, 3, 3);
    expect(Array.from(q.scales)).toEqual([Math.fround(3 / 255), Math.fround(0.5 / 255), 1]);
    expect(Array.from(q.zeroPoints)).toEqual([170, 0, 0]); // round(2 / (3 / 255)) = 170
    expect(Array.from(q.values)).toEqual([255, 0, 0, 191, 255, 0, 0, 64, 0]);
    const back = (i: number, c: number) => (q.values[i * 3 + c]! - q.zeroPoints[c]!) * q.scales[c]!;
    for (let i = 0; i < 3; i++)
      for (let c = 0; c < 3; c++) expect(Math.abs(back(i, c) - w[i * 3 + c]!)).toBeLessThan(q.scales[c]!);
  });

  it('quantizes a whole table with one scale and zero point', () => {
    const t = quantizeUint8Tensor(Float32Array.of(-1, 0.5, 3));
    expect(Array.from(t.scales)).toEqual([Math.fround(4 / 255)]);
    expect(Array.from(t.zeroPoints)).toEqual([64]); // round(63.75)
    expect(Array.from(t.values)).toEqual([0, 96, 255]); // round(31.875) + 64, round(191.25) + 64 → clamp
  });
});
