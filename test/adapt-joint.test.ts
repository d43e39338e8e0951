/**
 * Joint expert adaptation (experts/adapt-joint.ts): one shared down projection for every nested prefix, solved on
 * ORT's float64 GEMM (real sessions). Checked against its definition: the weighted prefix objective's gradient
 * vanishes at the fit; one expert is plain least squares; a heavier full expert moves the fit toward the dense map;
 * the dense bias is kept; bad weights are refused by class and message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openOrtGemm } from '../src/app/convert/adapt-gemm.js';
import { fitJointDown, jointWeights } from '../src/experts/adapt-joint.js';
import { NormalEquations } from '../src/experts/normal-equations.js';
import { InputError } from '../src/util/errors.js';
import { Rng } from '../src/util/random.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-adapt-joint-'));
const ort = openOrtGemm({ dir, device: 'cpu' });
const { gemm } = ort;
afterAll(async () => {
  await ort.release();
  rmSync(dir, { recursive: true, force: true });
});

/** Normal equations of rows h [N, m] and y [N, d] with the ones column, as the Gram graph sums them. */
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

/** Σ_k w_k ‖y − b − h[:, perm[:n_k]] W[:n_k]‖² (W rows in permuted order). */
function objective(
  a: { h: Float64Array; y: Float64Array; m: number; d: number; perm: Int32Array; sizes: number[] },
  W: Float32Array | Float64Array,
  weights: readonly number[],
  bias?: Float32Array,
): number {
  const N = a.h.length / a.m;
  let total = 0;
  a.sizes.forEach((n, k) => {
    for (let r = 0; r < N; r++) {
      for (let c = 0; c < a.d; c++) {
        let v = a.y[r * a.d + c]! - (bias ? bias[c]! : 0);
        for (let i = 0; i < n; i++) v -= a.h[r * a.m + a.perm[i]!]! * W[i * a.d + c]!;
        total += weights[k]! * v * v;
      }
    }
  });
  return total;
}

describe('joint expert adaptation', () => {
  const [m, d, N] = [6, 3, 300];
  const rng = new Rng(9);
  const h = Float64Array.from({ length: N * m }, () => rng.next() - 0.5);
  const dense = Float64Array.from({ length: m * d }, () => rng.next() - 0.5); // [m, d], original neuron order
  const y = new Float64Array(N * d);
  for (let r = 0; r < N; r++)
    for (let c = 0; c < d; c++)
      for (let i = 0; i < m; i++) y[r * d + c]! += h[r * m + i]! * dense[i * d + c]!;
  const perm = Int32Array.from([4, 1, 0, 2, 3, 5]);
  const sizes = [2, 4, 6];
  const data = { h, y, m, d, perm, sizes };
  const eq = equations(h, y, m, d);

  it('minimises the weighted prefix objective: no small step improves it', async () => {
    const weights = jointWeights(3, 1);
    expect(weights).toEqual([1, 1, 1]);
    const W = await fitJointDown(eq, { permutation: perm, sizes, weights, ridge: 0, gemm });
    const best = objective(data, W, weights);
    for (let i = 0; i < m * d; i++) {
      for (const step of [1e-3, -1e-3]) {
        const moved = Float64Array.from(W);
        moved[i]! += step;
        expect(objective(data, moved, weights)).toBeGreaterThan(best);
      }
    }
    // Shared weights cannot be exact for every prefix: the full expert is no longer the dense map.
    const densePermuted = Float64Array.from(
      { length: m * d },
      (_, j) => dense[perm[Math.floor(j / d)]! * d + (j % d)]!,
    );
    expect(objective({ ...data, sizes: [6] }, W, [1])).toBeGreaterThan(1e-6);
    expect(objective({ ...data, sizes: [6] }, densePermuted, [1])).toBeLessThan(1e-9);
  });

  it('with one expert it is plain least squares: the dense map comes back', async () => {
    const W = await fitJointDown(eq, { permutation: perm, sizes: [6], weights: [1], ridge: 0, gemm });
    for (let j = 0; j < m * d; j++) {
      expect(W[j]).toBeCloseTo(dense[perm[Math.floor(j / d)]! * d + (j % d)]!, 5);
    }
  });

  it('a heavier full expert keeps it closer to dense, the smaller prefixes pay', async () => {
    const fit = (w: number) =>
      fitJointDown(eq, { permutation: perm, sizes, weights: jointWeights(3, w), ridge: 0, gemm });
    const [light, heavy] = [await fit(1), await fit(16)];
    const full = (W: Float32Array) => objective({ ...data, sizes: [6] }, W, [1]);
    const small = (W: Float32Array) => objective({ ...data, sizes: [2] }, W, [1]);
    expect(full(heavy)).toBeLessThan(full(light));
    expect(small(heavy)).toBeGreaterThan(small(light));
  });

  it('fits y − b when the dense down projection has a bias, and the ridge shrinks', async () => {
    const bias = Float32Array.from([0.5, -1, 2]);
    const yb = Float64Array.from(y, (v, j) => v + bias[j % d]!);
    const eqb = equations(h, yb, m, d);
    const a = { permutation: perm, sizes, weights: [1, 1, 1], gemm };
    const W = await fitJointDown(eqb, { ...a, ridge: 0, downBias: bias });
    const plain = await fitJointDown(eq, { ...a, ridge: 0 });
    for (let j = 0; j < m * d; j++) expect(W[j]).toBeCloseTo(plain[j]!, 5);
    const shrunk = await fitJointDown(eq, { ...a, ridge: 1 });
    const norm = (v: Float32Array) => v.reduce((s, x) => s + x * x, 0);
    expect(norm(shrunk)).toBeLessThan(norm(plain));
  });

  it('refuses weights that do not match the experts, by class and message', async () => {
    const bad = fitJointDown(eq, { permutation: perm, sizes, weights: [1, 1], ridge: 0, gemm });
    await expect(bad).rejects.toThrow(InputError);
    await expect(bad).rejects.toThrow(
      'experts.adapt_full_weight: expected 3 positive expert weights, got [1, 1]',
    );
    const neg = fitJointDown(eq, { permutation: perm, sizes, weights: [1, 1, 0], ridge: 0, gemm });
    await expect(neg).rejects.toThrow(
      'experts.adapt_full_weight: expected 3 positive expert weights, got [1, 1, 0]',
    );
  });
});
