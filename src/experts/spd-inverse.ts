/**
 * The inverse of a symmetric positive definite matrix by recursive 2×2 blocking (Schur complements), with every
 * large product handed to a GEMM (ORT's float64 MatMul in practice: app/convert/adapt-gemm.ts) and only blocks of
 * `base` rows or fewer solved in JS by Cholesky. For A = [A11 A12; A12ᵀ A22]:
 *   P = A11⁻¹, T = P A12, S = A22 − A12ᵀ T (SPD), Q = S⁻¹, U = T Q,   A⁻¹ = [P + U Tᵀ, −U; −Uᵀ, Q]
 * about (4/3)·p³ flops, all but O(p²·base) of them in the GEMM. Pure: no runtime import.
 */
import { InternalError } from '../util/errors.js';
import { subBlock, symmetrize } from './dense-blocks.js';

/** C [m, n] = alpha · op(A) · op(B) (+ c); op(A) is [m, k] (A stored [k, m] when transA), op(B) [k, n]. */
export type Gemm = (a: {
  a: Float64Array;
  b: Float64Array;
  m: number;
  k: number;
  n: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  c?: Float64Array;
}) => Promise<Float64Array>;

/** Blocks up to this many rows are inverted in JS (O(base³) each, a few ms). */
export const SPD_BASE = 256;

/**
 * A [p, p] symmetric positive definite (row-major) → A⁻¹ [p, p]; A is not modified.
 * @internal the separate-inverse reference: tests and bench/adapt-solve.ts compare nested-cholesky.ts with it
 */
export async function spdInverse(
  A: Float64Array,
  p: number,
  o: { gemm: Gemm; base?: number },
): Promise<Float64Array> {
  const base = Math.max(1, o.base ?? SPD_BASE);
  if (p <= base) return choleskyInverse(A, p);
  const h = Math.ceil(p / 2);
  const q = p - h;
  const A11 = subBlock(A, p, { r0: 0, c0: 0, rows: h, cols: h });
  const A12 = subBlock(A, p, { r0: 0, c0: h, rows: h, cols: q });
  const A22 = subBlock(A, p, { r0: h, c0: h, rows: q, cols: q });
  const P = await spdInverse(A11, h, o);
  const T = await o.gemm({ a: P, b: A12, m: h, k: h, n: q }); // [h, q]
  const S = await o.gemm({ a: A12, b: T, m: q, k: h, n: q, transA: true, alpha: -1, c: A22 }); // [q, q]
  symmetrize(S, q); // exact in real arithmetic; rounding would leave the two triangles apart
  const Q = await spdInverse(S, q, o);
  const U = await o.gemm({ a: T, b: Q, m: h, k: q, n: q }); // [h, q]
  const TL = await o.gemm({ a: U, b: T, m: h, k: q, n: h, transB: true, c: P }); // [h, h]
  symmetrize(TL, h);
  const out = new Float64Array(p * p);
  for (let r = 0; r < h; r++) {
    out.set(TL.subarray(r * h, (r + 1) * h), r * p);
    for (let c = 0; c < q; c++) {
      const u = -U[r * q + c]!;
      out[r * p + h + c] = u;
      out[(h + c) * p + r] = u;
    }
  }
  for (let r = 0; r < q; r++) out.set(Q.subarray(r * q, (r + 1) * q), (h + r) * p + h);
  return out;
}

/** A small SPD block's inverse through its Cholesky factor (A is copied). */
function choleskyInverse(A: Float64Array, p: number): Float64Array {
  const L = Float64Array.from(A);
  const X = new Float64Array(p * p);
  for (let i = 0; i < p; i++) X[i * p + i] = 1;
  choleskySolve(L, X, p, p);
  symmetrize(X, p);
  return X;
}

/**
 * In place: A [p, p] symmetric positive definite → its Cholesky factor; B [p, d] → A⁻¹ B.
 * @internal a plain-JS reference for tests
 */
export function choleskySolve(A: Float64Array, B: Float64Array, p: number, d: number): void {
  for (let j = 0; j < p; j++) {
    let s = A[j * p + j]!;
    for (let k = 0; k < j; k++) s -= A[j * p + k]! ** 2;
    if (!(s > 0))
      throw new InternalError(`expert adaptation: normal equations not positive definite at ${j}`);
    const l = Math.sqrt(s);
    A[j * p + j] = l;
    for (let i = j + 1; i < p; i++) {
      let t = A[i * p + j]!;
      for (let k = 0; k < j; k++) t -= A[i * p + k]! * A[j * p + k]!;
      A[i * p + j] = t / l;
    }
  }
  for (let i = 0; i < p; i++) {
    // forward: L z = B
    for (let k = 0; k < i; k++) {
      const f = A[i * p + k]!;
      for (let c = 0; c < d; c++) B[i * d + c]! -= f * B[k * d + c]!;
    }
    const l = A[i * p + i]!;
    for (let c = 0; c < d; c++) B[i * d + c]! /= l;
  }
  for (let i = p - 1; i >= 0; i--) {
    // backward: Lᵀ x = z
    for (let k = i + 1; k < p; k++) {
      const f = A[k * p + i]!;
      for (let c = 0; c < d; c++) B[i * d + c]! -= f * B[k * d + c]!;
    }
    const l = A[i * p + i]!;
    for (let c = 0; c < d; c++) B[i * d + c]! /= l;
  }
}
