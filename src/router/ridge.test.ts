import { describe, expect, it } from 'vitest';
import { InputError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { routerForward } from './forward.js';
import { choleskySolve, RidgeAccumulator } from './ridge.js';

/** Noiseless data z = x·W + b for a known W [d, out], b [out]. */
function linearData(rows: number, d: number, out: number, seed: number) {
  const rng = new Rng(seed);
  const w = Float32Array.from({ length: d * out }, () => rng.normal());
  const b = Float32Array.from({ length: out }, () => rng.normal());
  const x = Float32Array.from({ length: rows * d }, () => rng.normal());
  const z = routerForward({ kind: 'ridge', d, outputs: out, w1: w, b1: b }, x, rows);
  return { w, b, x, z };
}

/** Gauss-Jordan elimination with partial pivoting: an independent solver for the normal equations. */
function gaussSolve(a: number[][], rhs: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...(rhs[i] as number[])]);
  for (let c = 0; c < n; c++) {
    const piv = m.reduce(
      (best, row, r) => (r >= c && Math.abs(row[c] as number) > Math.abs(m[best]?.[c] as number) ? r : best),
      c,
    );
    [m[c], m[piv]] = [m[piv] as number[], m[c] as number[]];
    const pr = m[c] as number[];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = (m[r]?.[c] as number) / (pr[c] as number);
      m[r] = (m[r] as number[]).map((v, j) => v - f * (pr[j] as number));
    }
  }
  return m.map((row, i) => row.slice(n).map((v) => v / (row[i] as number)));
}

describe('RidgeAccumulator', () => {
  const d = 6;
  const out = 3;
  const rows = 200;
  const data = linearData(rows, d, out, 2);

  it('recovers a known linear map from noiseless data (λ = 0)', () => {
    const acc = new RidgeAccumulator(d, out);
    acc.add(data.x, data.z, rows);
    const r = acc.solve(0);
    [...r.w1].forEach((v, i) => expect(v).toBeCloseTo(data.w[i] as number, 4));
    [...r.b1].forEach((v, i) => expect(v).toBeCloseTo(data.b[i] as number, 4));
    expect(r).toMatchObject({ kind: 'ridge', d, outputs: out });
  });

  it('gives the same answer streamed in batches as in one pass', () => {
    const one = new RidgeAccumulator(d, out);
    one.add(data.x, data.z, rows);
    const streamed = new RidgeAccumulator(d, out);
    for (let s = 0; s < rows; s += 64) {
      const n = Math.min(64, rows - s);
      streamed.add(data.x.subarray(s * d, (s + n) * d), data.z.subarray(s * out, (s + n) * out), n);
    }
    expect(streamed.count).toBe(rows);
    const a = one.solve(0.5);
    const b = streamed.solve(0.5);
    [...a.w1].forEach((v, i) => expect(b.w1[i]).toBeCloseTo(v, 5));
  });

  it('matches a direct normal-equation solve with the bias unpenalized', () => {
    const lambda = 3;
    const acc = new RidgeAccumulator(d, out);
    acc.add(data.x, data.z, rows);
    const r = acc.solve(lambda);
    const xa = Array.from({ length: rows }, (_, t) => [...data.x.subarray(t * d, (t + 1) * d), 1]);
    const a = Array.from({ length: d + 1 }, (_, i) =>
      Array.from(
        { length: d + 1 },
        (_, j) =>
          xa.reduce((s, row) => s + (row[i] as number) * (row[j] as number), 0) +
          (i === j && i < d ? lambda : 0),
      ),
    );
    const rhs = Array.from({ length: d + 1 }, (_, i) =>
      Array.from({ length: out }, (_, o) =>
        xa.reduce((s, row, t) => s + (row[i] as number) * (data.z[t * out + o] as number), 0),
      ),
    );
    const expected = gaussSolve(a, rhs);
    for (let i = 0; i < d; i++)
      for (let o = 0; o < out; o++) expect(r.w1[i * out + o]).toBeCloseTo(expected[i]?.[o] as number, 4);
    for (let o = 0; o < out; o++) expect(r.b1[o]).toBeCloseTo(expected[d]?.[o] as number, 4);
  });

  it('names bad inputs and singular systems', () => {
    const acc = new RidgeAccumulator(2, 1);
    expect(() => acc.solve(0)).toThrow(new InputError('ridge router: no training rows were added'));
    expect(() => acc.add(new Float32Array(3), new Float32Array(2), 2)).toThrow(
      new InputError('ridge router: expected 2×2 inputs, got 3'),
    );
    acc.add(Float32Array.from([1, 1, 2, 2]), Float32Array.from([1, 2]), 2); // x columns identical: rank-deficient
    expect(() => acc.solve(0)).toThrow(
      new InputError(
        'ridge router: normal equations are singular at feature 1 (lambda 0); use lambda > 0 or more calibration rows',
      ),
    );
    expect(() => acc.solve(-1)).toThrow(new InputError('router.lambda: expected a number ≥ 0, got -1'));
    expect(() => acc.solve(1e-3)).not.toThrow();
  });
});

describe('choleskySolve', () => {
  it('solves a small SPD system', () => {
    const x = choleskySolve(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 5]), { n: 2, cols: 1 });
    expect(x[0]).toBeCloseTo(-0.5, 12);
    expect(x[1]).toBeCloseTo(2, 12);
  });
});

/**
 * The one-pair-at-a-time sums, the one-row Cholesky and the substitution the blocked kernels replaced, written out
 * plainly: the blocked code must give their bits exactly (same terms in the same order per entry), not just close
 * values.
 */
function plainGram(x: Float32Array, z: Float32Array, a: { rows: number; d: number; out: number }) {
  const p = a.d + 1;
  const xtx = new Float64Array(p * p);
  const xtz = new Float64Array(p * a.out);
  for (let start = 0; start < a.rows; start += 128) {
    const n = Math.min(128, a.rows - start);
    const col = (i: number, r: number) => (i === a.d ? 1 : (x[(start + r) * a.d + i] as number));
    for (let i = 0; i < p; i++) {
      for (let j = i; j < p; j++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += col(i, r) * col(j, r);
        xtx[i * p + j] = (xtx[i * p + j] as number) + s;
      }
      for (let r = 0; r < n; r++) {
        for (let o = 0; o < a.out; o++) {
          const v = col(i, r) * (z[(start + r) * a.out + o] as number);
          xtz[i * a.out + o] = (xtz[i * a.out + o] as number) + v;
        }
      }
    }
  }
  return { xtx, xtz };
}

function plainCholeskySolve(m: Float64Array, b: Float64Array, n: number, cols: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let diag = m[j * n + j] as number;
    for (let k = 0; k < j; k++) diag -= (l[j * n + k] as number) ** 2;
    l[j * n + j] = Math.sqrt(diag);
    for (let i = j + 1; i < n; i++) {
      let s = m[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * n + k] as number) * (l[j * n + k] as number);
      l[i * n + j] = s / (l[j * n + j] as number);
    }
  }
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i < n; i++) {
      let s = b[i * cols + c] as number;
      for (let k = 0; k < i; k++) s -= (l[i * n + k] as number) * (b[k * cols + c] as number);
      b[i * cols + c] = s / (l[i * n + i] as number);
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = b[i * cols + c] as number;
      for (let k = i + 1; k < n; k++) s -= (l[k * n + i] as number) * (b[k * cols + c] as number);
      b[i * cols + c] = s / (l[i * n + i] as number);
    }
  }
  return b;
}

describe('blocked kernels', () => {
  it('give the bits of the plain loops: Gram over several row tiles, Cholesky with a ragged edge', () => {
    const [rows, d, out] = [300, 22, 3]; // p = 23: 4×4 tiles plus edge tiles; 3 row tiles of 128
    const { x } = linearData(rows, d, out, 11);
    const rng = new Rng(12);
    const z = Float32Array.from({ length: rows * out }, () => rng.normal());
    const acc = new RidgeAccumulator(d, out);
    acc.add(x, z, rows);
    const plain = plainGram(x, z, { rows, d, out });
    const blocked = acc.normalEquations();
    expect(Array.from(blocked.xtx)).toEqual(Array.from(plain.xtx));
    expect(Array.from(blocked.xtz)).toEqual(Array.from(plain.xtz));
    const p = d + 1;
    const m = new Float64Array(p * p);
    for (let i = 0; i < p; i++) {
      for (let j = i; j < p; j++) m[i * p + j] = m[j * p + i] = plain.xtx[i * p + j] as number;
      m[i * p + i] = (m[i * p + i] as number) + 0.5;
    }
    const solved = choleskySolve(m, plain.xtz.slice(), { n: p, cols: out });
    expect(Array.from(solved)).toEqual(Array.from(plainCholeskySolve(m, plain.xtz.slice(), p, out)));
  });
});
