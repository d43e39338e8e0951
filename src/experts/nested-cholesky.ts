/**
 * One Cholesky factorization for every nested expert's ridge system (experts/adapt-lsq.ts). The systems are the
 * leading blocks A_k = A[:p_k, :p_k] of the largest one (constant column first, then the permuted neurons, and the
 * same ridge term for every prefix), so the factor L of A holds every L_k = L[:p_k, :p_k], and the forward
 * substitution Z = L⁻¹B is prefix-consistent too (Z_k = Z[:p_k]); only the back substitutions X_k = L_k⁻ᵀ Z_k
 * differ per expert. About p³/3 flops for the factor instead of (4/3)·Σ_k p_k³ for separate inverses.
 *
 * Everything is recursive 2×2 blocking: the O(n³) products go to the caller's float64 GEMM (ORT's in practice),
 * and only blocks of `base` rows or fewer are handled in JS (their triangular inverses, O(base³) each). Pure: no
 * runtime import.
 */
import { InternalError } from '../util/errors.js';
import { subBlock, symmetrize } from './dense-blocks.js';
import { type Gemm, SPD_BASE } from './spd-inverse.js';

interface Opts {
  readonly gemm: Gemm;
  readonly base: number;
}

/**
 * A [n, n] symmetric positive definite → its lower Cholesky factor L [n, n] (zeros above); A is not modified.
 * @internal exported for its tests (nestedSolve factors inside)
 */
export async function cholesky(
  A: Float64Array,
  n: number,
  o: { gemm: Gemm; base?: number },
): Promise<Float64Array> {
  return chol(A, n, { gemm: o.gemm, base: Math.max(1, o.base ?? SPD_BASE) });
}

/**
 * X_k = A_k⁻¹ B_k for every leading block p_k of A (increasing, the last may be < n): one factorization, one
 * forward substitution, one back substitution per prefix.
 */
export async function nestedSolve(
  A: Float64Array,
  B: Float64Array,
  a: { n: number; d: number; prefixes: readonly number[]; gemm: Gemm; base?: number },
): Promise<Float64Array[]> {
  const o = { gemm: a.gemm, base: Math.max(1, a.base ?? SPD_BASE) };
  const top = a.prefixes.at(-1) ?? 0;
  const Ltop = top === a.n ? A : subBlock(A, a.n, { r0: 0, c0: 0, rows: top, cols: top });
  const L = await chol(Ltop, top, o);
  const Z = await forward(L, B.subarray(0, top * a.d), top, a.d, o);
  const out: Float64Array[] = [];
  for (const p of a.prefixes) {
    const Lk = p === top ? L : subBlock(L, top, { r0: 0, c0: 0, rows: p, cols: p });
    out.push(await back(Lk, Z.subarray(0, p * a.d), p, a.d, o));
  }
  return out;
}

async function chol(A: Float64Array, n: number, o: Opts): Promise<Float64Array> {
  if (n <= o.base) return baseCholesky(A, n);
  const h = Math.ceil(n / 2);
  const q = n - h;
  const L11 = await chol(subBlock(A, n, { r0: 0, c0: 0, rows: h, cols: h }), h, o);
  // L21 = A21 L11⁻ᵀ, i.e. (L11⁻¹ A12)ᵀ: a forward solve with A12 [h, q] as right-hand sides.
  const L21t = await forward(L11, subBlock(A, n, { r0: 0, c0: h, rows: h, cols: q }), h, q, o); // [h, q] = L21ᵀ
  const S = await o.gemm({
    a: L21t,
    b: L21t,
    m: q,
    k: h,
    n: q,
    transA: true,
    alpha: -1,
    c: subBlock(A, n, { r0: h, c0: h, rows: q, cols: q }),
  });
  symmetrize(S, q);
  const L22 = await chol(S, q, o);
  const L = new Float64Array(n * n);
  for (let r = 0; r < h; r++) L.set(L11.subarray(r * h, (r + 1) * h), r * n);
  for (let r = 0; r < q; r++) {
    const row = (h + r) * n;
    for (let c = 0; c < h; c++) L[row + c] = L21t[c * q + r]!;
    L.set(L22.subarray(r * q, (r + 1) * q), row + h);
  }
  return L;
}

async function forward(
  L: Float64Array,
  B: Float64Array,
  n: number,
  d: number,
  o: Opts,
): Promise<Float64Array> {
  if (n <= o.base) return o.gemm({ a: lowerInverse(L, n), b: B, m: n, k: n, n: d });
  const h = Math.ceil(n / 2);
  const q = n - h;
  const Z1 = await forward(subBlock(L, n, { r0: 0, c0: 0, rows: h, cols: h }), B.subarray(0, h * d), h, d, o);
  const R = await o.gemm({
    a: subBlock(L, n, { r0: h, c0: 0, rows: q, cols: h }),
    b: Z1,
    m: q,
    k: h,
    n: d,
    alpha: -1,
    c: B.slice(h * d),
  });
  const Z2 = await forward(subBlock(L, n, { r0: h, c0: h, rows: q, cols: q }), R, q, d, o);
  const Z = new Float64Array(n * d);
  Z.set(Z1);
  Z.set(Z2, h * d);
  return Z;
}

async function back(L: Float64Array, Z: Float64Array, n: number, d: number, o: Opts): Promise<Float64Array> {
  if (n <= o.base) return o.gemm({ a: lowerInverse(L, n), b: Z, m: n, k: n, n: d, transA: true });
  const h = Math.ceil(n / 2);
  const q = n - h;
  const X2 = await back(subBlock(L, n, { r0: h, c0: h, rows: q, cols: q }), Z.subarray(h * d), q, d, o);
  const R = await o.gemm({
    a: subBlock(L, n, { r0: h, c0: 0, rows: q, cols: h }),
    b: X2,
    m: h,
    k: q,
    n: d,
    transA: true,
    alpha: -1,
    c: Z.slice(0, h * d),
  });
  const X1 = await back(subBlock(L, n, { r0: 0, c0: 0, rows: h, cols: h }), R, h, d, o);
  const X = new Float64Array(n * d);
  X.set(X1);
  X.set(X2, h * d);
  return X;
}

function baseCholesky(A: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = A[j * n + j]!;
    for (let k = 0; k < j; k++) s -= L[j * n + k]! ** 2;
    if (!(s > 0))
      throw new InternalError(`expert adaptation: normal equations not positive definite at ${j}`);
    const l = Math.sqrt(s);
    L[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let t = A[i * n + j]!;
      for (let k = 0; k < j; k++) t -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = t / l;
    }
  }
  return L;
}

/** L⁻¹ of a lower triangular [n, n] (lower triangular too). */
function lowerInverse(L: Float64Array, n: number): Float64Array {
  const X = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    X[c * n + c] = 1 / L[c * n + c]!;
    for (let r = c + 1; r < n; r++) {
      let s = 0;
      for (let k = c; k < r; k++) s += L[r * n + k]! * X[k * n + c]!;
      X[r * n + c] = -s / L[r * n + r]!;
    }
  }
  return X;
}
