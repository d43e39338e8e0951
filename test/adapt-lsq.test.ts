/**
 * Least-squares expert adaptation (experts/adapt-lsq.ts) with its ridge solves on ORT's float64 GEMM
 * (app/convert/adapt-gemm.ts, real sessions): exact prefix maps are recovered, the ridge shrinks, the blocked SPD
 * inverse (experts/spd-inverse.ts) agrees with the plain Cholesky of small blocks and inverts, the per-layer files
 * read back under the experts' permutation, and bad input is refused by class and message.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openOrtGemm } from '../src/app/convert/adapt-gemm.js';
import { adaptLayerFile } from '../src/app/convert/adapt-layer.js';
import { adaptationReader } from '../src/app/convert/adapt.js';
import { writeSafetensors } from '../src/checkpoint/safetensors-write.js';
import { fitAdaptedExperts } from '../src/experts/adapt-lsq.js';
import { NormalEquations } from '../src/experts/normal-equations.js';
import { spdInverse } from '../src/experts/spd-inverse.js';
import { InputError, InternalError } from '../src/util/errors.js';
import { Rng } from '../src/util/random.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-adapt-lsq-'));
const ort = openOrtGemm({ dir, device: 'cpu' });
const { gemm } = ort;
afterAll(async () => {
  await ort.release();
  rmSync(dir, { recursive: true, force: true });
});

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

  it('recovers an exact prefix map with its bias when the ridge term is 0', async () => {
    const [small, wider] = await fitAdaptedExperts(equations(h, y, m, d), {
      permutation,
      sizes: [2, 4, 6],
      ridge: 0,
      gemm,
    });
    for (let c = 0; c < d; c++) {
      expect(small!.down[0 * d + c]).toBeCloseTo(2, 6); // permuted row 0 = neuron 4
      expect(small!.down[1 * d + c]).toBeCloseTo(-(c + 1), 6);
      expect(small!.bias[c]).toBeCloseTo(0.25 * c, 6);
    }
    expect(Array.from(wider!.down.subarray(2 * d)).every((v) => Math.abs(v) < 1e-6)).toBe(true);
  });

  it('shrinks the weights as the ridge term grows; the full expert gets none', async () => {
    const eq = equations(h, y, m, d);
    const norm = async (ridge: number) =>
      (await fitAdaptedExperts(eq, { permutation, sizes: [2, 6], ridge, gemm }))[0]!.down.reduce(
        (s, v) => s + v * v,
        0,
      );
    expect(await norm(10)).toBeLessThan(await norm(0.1));
    expect(await fitAdaptedExperts(eq, { permutation, sizes: [2, 6], ridge: 0, gemm })).toHaveLength(1);
  });

  it('gives the same weights whether the solve recurses into blocks or not', async () => {
    const eq = equations(h, y, m, d);
    const fit = (tile: number) =>
      fitAdaptedExperts(eq, { permutation, sizes: [5, 6], ridge: 1e-3, gemm, tile });
    const [whole] = await fit(64);
    const [blocked] = await fit(2);
    for (let i = 0; i < whole!.down.length; i++) expect(blocked!.down[i]).toBeCloseTo(whole!.down[i]!, 5);
    for (let i = 0; i < d; i++) expect(blocked!.bias[i]).toBeCloseTo(whole!.bias[i]!, 5);
  });

  it('refuses a bad ridge term, no tokens and mismatched batch sums', async () => {
    const eq = equations(h, y, m, d);
    await expect(fitAdaptedExperts(eq, { permutation, sizes: [2, 6], ridge: -1, gemm })).rejects.toThrow(
      new InputError('experts.adapt_ridge: expected a finite number ≥ 0, got -1'),
    );
    await expect(
      fitAdaptedExperts(new NormalEquations(m, d), { permutation, sizes: [2, 6], ridge: 0, gemm }),
    ).rejects.toThrow(new InputError('expert adaptation: no calibration tokens to fit on'));
    expect(() => eq.add({ hth: [1], hty: [1], rows: 1 })).toThrow(
      new InternalError('normal equations: expected 49 + 21 values, got 1 + 1'),
    );
  });
});

describe('blocked SPD inverse on the float64 GEMM', () => {
  /** A random SPD matrix M Mᵀ + p·I. */
  function spd(p: number, seed: number): Float64Array {
    const rng = new Rng(seed);
    const M = Float64Array.from({ length: p * p }, () => rng.next() - 0.5);
    const A = new Float64Array(p * p);
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) {
        let s = i === j ? p : 0;
        for (let k = 0; k < p; k++) s += M[i * p + k]! * M[j * p + k]!;
        A[i * p + j] = s;
      }
    }
    return A;
  }

  it('inverts through three levels of blocks as the plain Cholesky does', async () => {
    const p = 37;
    const A = spd(p, 3);
    const plain = await spdInverse(A, p, { gemm, base: p });
    const blocked = await spdInverse(A, p, { gemm, base: 5 });
    const product = await gemm({ a: A, b: blocked, m: p, k: p, n: p });
    let worst = 0;
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) {
        worst = Math.max(worst, Math.abs(product[i * p + j]! - (i === j ? 1 : 0)));
        worst = Math.max(worst, Math.abs(blocked[i * p + j]! - plain[i * p + j]!) * p);
      }
    }
    expect(worst).toBeLessThan(1e-10);
  });

  it('refuses a matrix that is not positive definite, by class and message', async () => {
    const A = Float64Array.from([1, 2, 2, 1]);
    await expect(spdInverse(A, 2, { gemm })).rejects.toThrow(
      new InternalError('expert adaptation: normal equations not positive definite at 1'),
    );
  });
});

describe('reading the adapted experts back', () => {
  it('refuses a layer fitted under another permutation than the experts stage computed', async () => {
    const at = join(dir, 'adapt');
    mkdirSync(at, { recursive: true });
    const perm = Int32Array.from([1, 0, 2]);
    await writeSafetensors(join(at, adaptLayerFile(0)), {
      permutation: { dtype: 'I32', shape: [3], data: perm },
      'down.0': { dtype: 'F32', shape: [1, 2], data: Float32Array.from([1, 2]) },
      'bias.0': { dtype: 'F32', shape: [2], data: Float32Array.from([3, 4]) },
    });
    const read = await adaptationReader(at, { perms: [perm], experts: 1 });
    const layer = await read(0);
    expect(Array.from(layer![0]!.down)).toEqual([1, 2]);
    expect(Array.from(layer![0]!.bias)).toEqual([3, 4]);
    await expect(read(1)).rejects.toThrow(new InternalError('adaptation: no layer 1'));
    await expect(adaptationReader(at, { perms: [Int32Array.from([0, 1, 2])], experts: 1 })).rejects.toThrow(
      new InternalError("adaptation: layer 0 was fitted under another permutation than the experts'"),
    );
  });
});
