import { describe, expect, it } from 'vitest';
import { InputError, InternalError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { fitAdaptedExperts, NormalEquations } from './adapt-lsq.js';

/** Normal equations of rows h [N, m] and y [N, d], summed the way the Gram graph's batches are. */
function equations(h: Float64Array, y: Float64Array, m: number, d: number): NormalEquations {
  const N = h.length / m;
  const eq = new NormalEquations(m, d);
  const hth = new Float64Array((m + 1) ** 2);
  const hty = new Float64Array((m + 1) * d);
  for (let r = 0; r < N; r++) {
    const row = [...h.subarray(r * m, (r + 1) * m), 1];
    for (let i = 0; i <= m; i++) {
      for (let j = 0; j <= m; j++) hth[i * (m + 1) + j]! += row[i]! * row[j]!;
      for (let c = 0; c < d; c++) hty[i * d + c]! += row[i]! * y[r * d + c]!;
    }
  }
  eq.add({ hth, hty, rows: N });
  return eq;
}

describe('least-squares expert adaptation', () => {
  const [m, d, N] = [6, 3, 200];
  const rng = new Rng(5);
  const h = Float64Array.from({ length: N * m }, () => rng.next() - 0.5);
  // y depends only on neurons 4 and 1 (plus a bias): the prefix perm[:2] = [4, 1] can represent it exactly.
  const y = new Float64Array(N * d);
  for (let r = 0; r < N; r++) {
    for (let c = 0; c < d; c++) y[r * d + c] = 2 * h[r * m + 4]! - (c + 1) * h[r * m + 1]! + 0.25 * c;
  }
  const permutation = Int32Array.from([4, 1, 0, 2, 3, 5]);

  it('recovers an exact prefix map with its bias when the ridge term is 0', () => {
    const [small, wider] = fitAdaptedExperts(equations(h, y, m, d), {
      permutation,
      sizes: [2, 4, 6],
      ridge: 0,
    });
    for (let c = 0; c < d; c++) {
      expect(small!.down[0 * d + c]).toBeCloseTo(2, 6); // permuted row 0 = neuron 4
      expect(small!.down[1 * d + c]).toBeCloseTo(-(c + 1), 6);
      expect(small!.bias[c]).toBeCloseTo(0.25 * c, 6);
    }
    expect(Array.from(wider!.down.subarray(2 * d)).every((v) => Math.abs(v) < 1e-6)).toBe(true);
  });

  it('shrinks the weights as the ridge term grows; the full expert gets none', () => {
    const eq = equations(h, y, m, d);
    const norm = (ridge: number) =>
      fitAdaptedExperts(eq, { permutation, sizes: [2, 6], ridge })[0]!.down.reduce((s, v) => s + v * v, 0);
    expect(norm(10)).toBeLessThan(norm(0.1));
    expect(fitAdaptedExperts(eq, { permutation, sizes: [2, 6], ridge: 0 })).toHaveLength(1);
  });

  it('refuses a bad ridge term, no tokens and mismatched batch sums', () => {
    const eq = equations(h, y, m, d);
    expect(() => fitAdaptedExperts(eq, { permutation, sizes: [2, 6], ridge: -1 })).toThrow(
      new InputError('experts.adapt_ridge: expected a finite number ≥ 0, got -1'),
    );
    expect(() =>
      fitAdaptedExperts(new NormalEquations(m, d), { permutation, sizes: [2, 6], ridge: 0 }),
    ).toThrow(new InputError('expert adaptation: no calibration tokens to fit on'));
    expect(() => eq.add({ hth: [1], hty: [1], rows: 1 })).toThrow(
      new InternalError('normal equations: expected 49 + 21 values, got 1 + 1'),
    );
  });
});
