import { describe, expect, it } from 'vitest';
import { InputError } from '../util/errors.js';
import { RowReservoir } from './reservoir.js';

/** Offers rows 0..n-1 (row i = [i, -i]) in batches of 7. */
function fill(res: RowReservoir, n: number): void {
  for (let s = 0; s < n; s += 7) {
    const rows = Math.min(7, n - s);
    res.add(
      Float32Array.from({ length: rows * 2 }, (_, j) => (j % 2 === 0 ? 1 : -1) * (s + (j >> 1))),
      rows,
    );
  }
}

describe('RowReservoir', () => {
  it('keeps everything until full, then exactly capacity rows', () => {
    const res = new RowReservoir(10, 2, 0);
    fill(res, 6);
    expect(res.rows().rows).toBe(6);
    expect([...res.rows().data]).toEqual([0, -0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5]);
    fill(res, 100);
    expect(res.count).toBe(106);
    expect(res.rows().rows).toBe(10);
  });

  it('is deterministic for a seed and input order', () => {
    const a = new RowReservoir(16, 2, 42);
    const b = new RowReservoir(16, 2, 42);
    const c = new RowReservoir(16, 2, 43);
    [a, b, c].forEach((r) => fill(r, 500));
    expect(a.rows().data).toEqual(b.rows().data);
    expect(a.rows().data).not.toEqual(c.rows().data);
  });

  it('samples rows uniformly (chi² over 10 bins, loose bound)', () => {
    const n = 200;
    const capacity = 20;
    const bins = new Array(10).fill(0);
    const trials = 300;
    for (let seed = 0; seed < trials; seed++) {
      const res = new RowReservoir(capacity, 2, seed);
      fill(res, n);
      const { data, rows } = res.rows();
      for (let r = 0; r < rows; r++) bins[Math.floor((data[r * 2] as number) / (n / 10))]++;
    }
    const expected = (trials * capacity) / 10;
    const chi2 = bins.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: p = 0.001 at 27.9.
    expect(chi2).toBeLessThan(27.9);
  });

  it('rejects bad shapes', () => {
    expect(() => new RowReservoir(0, 2, 0)).toThrow(
      new InputError('reservoir capacity: expected a positive integer, got 0'),
    );
    expect(() => new RowReservoir(2, 1.5, 0)).toThrow(
      new InputError('reservoir width: expected a positive integer, got 1.5'),
    );
    expect(() => new RowReservoir(2, 2, 0).add(new Float32Array(3), 2)).toThrow(
      new InputError('reservoir: expected 2×2 values, got 3'),
    );
  });
});
