/**
 * One Cholesky factorization for every nested expert (experts/nested-cholesky.ts), on ORT's float64 GEMM (real
 * sessions): each leading block's solve equals the separate blocked SPD inverse's (experts/spd-inverse.ts), the
 * recursion (small `base`) equals the plain factor, reruns are bit-identical, and a matrix that is not positive
 * definite is refused by class and message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openOrtGemm } from '../src/app/convert/adapt-gemm.js';
import { tileEdges } from '../src/experts/lower-tiles.js';
import { cholesky, nestedSolve } from '../src/experts/nested-cholesky.js';
import { spdInverse } from '../src/experts/spd-inverse.js';
import { InternalError } from '../src/util/errors.js';
import { Rng } from '../src/util/random.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-nested-chol-'));
const ort = openOrtGemm({ dir, device: 'cpu' });
const { gemm } = ort;
afterAll(async () => {
  await ort.release();
  rmSync(dir, { recursive: true, force: true });
});

/** XᵀX + n·I for a random X: symmetric positive definite [n, n]. */
function spd(n: number, rng: Rng): Float64Array {
  const X = Float64Array.from({ length: 2 * n * n }, () => rng.next() - 0.5);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? 0.1 * n : 0;
      for (let r = 0; r < 2 * n; r++) s += X[r * n + i]! * X[r * n + j]!;
      A[i * n + j] = s;
    }
  return A;
}

const block = (A: Float64Array, n: number, p: number) => {
  const out = new Float64Array(p * p);
  for (let r = 0; r < p; r++) out.set(A.subarray(r * n, r * n + p), r * p);
  return out;
};

describe('nested Cholesky solves', () => {
  const [n, d] = [23, 4];
  const rng = new Rng(3);
  const A = spd(n, rng);
  const B = Float64Array.from({ length: n * d }, () => rng.next() - 0.5);
  const prefixes = [4, 9, 17, 23];

  it('solves every leading block as the separate inverse does', async () => {
    const nested = await nestedSolve(A, B, { n, d, prefixes, gemm, tile: 3 });
    for (const [k, p] of prefixes.entries()) {
      const inv = await spdInverse(block(A, n, p), p, { gemm, base: 3 });
      const X = await gemm({ a: inv, b: B.subarray(0, p * d), m: p, k: p, n: d });
      expect(nested[k]!.length).toBe(p * d);
      for (let i = 0; i < p * d; i++) expect(nested[k]![i]).toBeCloseTo(X[i]!, 10);
    }
  });

  it('stops at the largest prefix asked, and the recursion matches the plain factor bit for bit on reruns', async () => {
    const [only] = await nestedSolve(A, B, { n, d, prefixes: [17], gemm, tile: 5 });
    const full = await nestedSolve(A, B, { n, d, prefixes, gemm, tile: 5 });
    for (let i = 0; i < 17 * d; i++) expect(only![i]).toBeCloseTo(full[2]![i]!, 10);
    const plain = await cholesky(A, n, { gemm, base: n });
    const blocked = await cholesky(A, n, { gemm, base: 2 });
    for (let i = 0; i < n * n; i++) expect(blocked[i]).toBeCloseTo(plain[i]!, 10);
    expect(Buffer.from((await cholesky(A, n, { gemm, base: 2 })).buffer)).toEqual(
      Buffer.from(blocked.buffer),
    );
  });

  it('cuts tiles at every prefix, none wider than asked', () => {
    expect(tileEdges([4, 9, 17, 23], 3)).toEqual([0, 2, 4, 7, 9, 12, 14, 17, 20, 23]);
    expect(tileEdges([3586, 7170, 10754], 1024).length).toBe(13);
    expect(tileEdges([5], 1024)).toEqual([0, 5]);
  });

  it('a tile solve equals one tile, and names the failing pivot of a later tile', async () => {
    const whole = await nestedSolve(A, B, { n, d, prefixes, gemm, tile: n });
    const tiled = await nestedSolve(A, B, { n, d, prefixes, gemm, tile: 2 });
    for (const [k, X] of whole.entries())
      for (let i = 0; i < X.length; i++) expect(tiled[k]![i]).toBeCloseTo(X[i]!, 10);
    // Row/column 5 made a copy of row 4 but a smaller diagonal: the factor breaks down at pivot 5, in the third
    // tile of two rows.
    const bad = Float64Array.from(A);
    for (let c = 0; c < n; c++) {
      bad[5 * n + c] = bad[4 * n + c]!;
      bad[c * n + 5] = bad[c * n + 4]!;
    }
    bad[5 * n + 5] = bad[4 * n + 4]! - 1; // its Schur complement after pivots 0..4 is −1
    await expect(nestedSolve(bad, B, { n, d, prefixes, gemm, tile: 2 })).rejects.toThrow(
      new InternalError('expert adaptation: normal equations not positive definite at 5'),
    );
  });

  it('refuses a matrix that is not positive definite', async () => {
    const bad = Float64Array.from([1, 2, 2, 1]);
    const run = cholesky(bad, 2, { gemm });
    await expect(run).rejects.toThrow(InternalError);
    await expect(run).rejects.toThrow('expert adaptation: normal equations not positive definite at 1');
  });
});
