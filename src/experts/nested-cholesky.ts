/**
 * One Cholesky factorization for every nested expert's ridge system (experts/adapt-lsq.ts). The systems are the
 * leading blocks A_k = A[:p_k, :p_k] of the largest one (constant column first, then the permuted neurons, and the
 * same ridge term for every prefix), so the factor L of A holds every L_k = L[:p_k, :p_k], and the forward
 * substitution Z = L⁻¹B is prefix-consistent too (Z_k = Z[:p_k]); only the back substitutions X_k = L_k⁻ᵀ Z_k
 * differ per expert. About p³/6 multiply-adds for the factor instead of (2/3)·Σ_k p_k³ for separate inverses.
 *
 * Memory is the point at 8B's shape (p = 10753, d = 4096): A lives as the tiles of its lower triangle
 * (lower-tiles.ts), every tile is overwritten by its factor tile as soon as it is final (right-looking blocked
 * Cholesky), and the right-hand sides are overwritten by Z, then by the largest expert's X; a smaller expert's X
 * works on a copy of its rows of Z and is handed to the caller block by block. So the solve holds A's lower half,
 * B, one smaller expert's rows and a few tiles, instead of A, its factor and the recursion's copies.
 *
 * Every O(n³) product goes to the caller's float64 GEMM (ORT's in practice), tile by tile; a diagonal tile is
 * factored by recursive 2×2 blocking down to `base` rows handled in JS. Pure: no runtime import.
 */
import { InternalError } from '../util/errors.js';
import { subBlock, symmetrize } from './dense-blocks.js';
import { gatherLower, gatherRows, type LowerTiles, SOLVE_TILE, tileEdges } from './lower-tiles.js';
import { type Gemm, SPD_BASE } from './spd-inverse.js';

interface Opts {
  readonly gemm: Gemm;
  readonly base: number;
}

/** The GEMM the solves run on, and where they are cut: tiles of at most `tile` rows. */
export interface SolveBlocks {
  readonly gemm: Gemm;
  /** Tile rows (default SOLVE_TILE); the JS leaves are at most min(tile, SPD_BASE) rows. */
  readonly tile?: number;
}

/**
 * A [n, n] symmetric positive definite → its lower Cholesky factor L [n, n] (zeros above); A is not modified.
 * @internal exported for its tests (diagonal tiles are factored by it)
 */
export async function cholesky(
  A: Float64Array,
  n: number,
  o: { gemm: Gemm; base?: number },
): Promise<Float64Array> {
  return chol(A, n, { gemm: o.gemm, base: Math.max(1, o.base ?? SPD_BASE) }, 0);
}

/**
 * In place, for every prefix p_k (increasing, the last = A's size): solves A_k X_k = B[:p_k] and hands X_k to
 * `take` as row blocks (A's tile rows up to p_k), smallest expert first. A's tiles end as the factor's, B's blocks
 * as the largest expert's X (the blocks `take` got last). Every p_k must be a tile edge (tileEdges does that).
 */
export async function nestedSolveTiles(
  A: LowerTiles,
  B: Float64Array[],
  a: SolveBlocks & { d: number; prefixes: readonly number[] },
  take: (k: number, X: readonly Float64Array[]) => void,
): Promise<void> {
  const tile = Math.max(1, a.tile ?? SOLVE_TILE);
  const o = { gemm: a.gemm, base: Math.min(tile, SPD_BASE) };
  const top = A.edges.at(-1)!;
  if (a.prefixes.at(-1) !== top || B.length !== A.tiles.length) {
    throw new InternalError(
      `nested solve: prefixes [${a.prefixes.join(', ')}] must end at the system size ${top}`,
    );
  }
  await factorTiles(A, o);
  await forwardTiles(A, B, a.d, o);
  for (const [k, p] of a.prefixes.entries()) {
    const t = A.edges.indexOf(p);
    if (t < 1) throw new InternalError(`nested solve: prefix ${p} is not a tile edge`);
    // The largest expert solves on B itself: Z is not needed after it.
    const X = p === top ? B : B.slice(0, t).map((b) => Float64Array.from(b));
    await backTiles(A, X, t, a.d, o);
    take(k, X.slice(0, t));
  }
}

/**
 * X_k = A_k⁻¹ B_k for every leading block p_k of the dense A [n, n] (increasing, the last may be < n), B [n, d]
 * row-major; A and B are not modified.
 * @internal the dense form of nestedSolveTiles, for tests and bench/adapt-solve.ts
 */
export async function nestedSolve(
  A: Float64Array,
  B: Float64Array,
  a: SolveBlocks & { n: number; d: number; prefixes: readonly number[] },
): Promise<Float64Array[]> {
  const edges = tileEdges(a.prefixes, a.tile ?? SOLVE_TILE);
  const tiles = gatherLower(edges, (r, c) => A[r * a.n + c]!);
  const rows = gatherRows(edges, a.d, (r) => B.subarray(r * a.d, (r + 1) * a.d));
  const out: Float64Array[] = [];
  await nestedSolveTiles(tiles, rows, a, (_, X) => {
    const joined = new Float64Array(X.reduce((s, x) => s + x.length, 0));
    let at = 0;
    for (const x of X) {
      joined.set(x, at);
      at += x.length;
    }
    out.push(joined);
  });
  return out;
}

const sizeOf = (A: LowerTiles, i: number) => A.edges[i + 1]! - A.edges[i]!;

/** Right-looking blocked Cholesky, in place. */
async function factorTiles(A: LowerTiles, o: Opts): Promise<void> {
  const T = A.tiles.length;
  const row = A.tiles;
  for (let k = 0; k < T; k++) {
    const bk = sizeOf(A, k);
    row[k]![k] = await chol(row[k]![k]!, bk, o, A.edges[k]!);
    // L_ik = A_ik L_kk⁻ᵀ below the diagonal tile: one explicit L_kk⁻¹ (bk³/3) turns the panel into plain GEMMs.
    const inv = k + 1 < T ? await forward(row[k]![k]!, identity(bk), bk, bk, o) : null;
    for (let i = k + 1; i < T; i++) {
      row[i]![k] = await o.gemm({ a: row[i]![k]!, b: inv!, m: sizeOf(A, i), k: bk, n: bk, transB: true });
    }
    // The trailing lower tiles: A_ij −= L_ik L_jkᵀ.
    for (let i = k + 1; i < T; i++) {
      for (let j = k + 1; j <= i; j++) {
        const [bi, bj] = [sizeOf(A, i), sizeOf(A, j)];
        const c = await o.gemm({
          a: row[i]![k]!,
          b: row[j]![k]!,
          m: bi,
          k: bk,
          n: bj,
          transB: true,
          alpha: -1,
          c: row[i]![j]!,
        });
        if (i === j) symmetrize(c, bi);
        row[i]![j] = c;
      }
    }
  }
}

/** In place: B ← L⁻¹ B, block row by block row (the diagonal tiles by substitution: d ≫ a tile's rows). */
async function forwardTiles(A: LowerTiles, B: Float64Array[], d: number, o: Opts): Promise<void> {
  for (let k = 0; k < B.length; k++) {
    const bk = sizeOf(A, k);
    B[k] = await forward(A.tiles[k]![k]!, B[k]!, bk, d, o);
    for (let i = k + 1; i < B.length; i++) {
      B[i] = await o.gemm({
        a: A.tiles[i]![k]!,
        b: B[k]!,
        m: sizeOf(A, i),
        k: bk,
        n: d,
        alpha: -1,
        c: B[i]!,
      });
    }
  }
}

/** In place on X's first t blocks: X ← L_tᵀ⁻¹ X, L_t the first t tile rows and columns of the factor. */
async function backTiles(A: LowerTiles, X: Float64Array[], t: number, d: number, o: Opts): Promise<void> {
  for (let i = t - 1; i >= 0; i--) {
    const bi = sizeOf(A, i);
    X[i] = await back(A.tiles[i]![i]!, X[i]!, bi, d, o);
    // X_j −= L_ijᵀ X_i for the rows above.
    for (let j = 0; j < i; j++) {
      X[j] = await o.gemm({
        a: A.tiles[i]![j]!,
        b: X[i]!,
        m: sizeOf(A, j),
        k: bi,
        n: d,
        transA: true,
        alpha: -1,
        c: X[j]!,
      });
    }
  }
}

function identity(n: number): Float64Array {
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = 1;
  return I;
}

/** `at`: the block's first row in the whole system, so a refusal names the global pivot. */
async function chol(A: Float64Array, n: number, o: Opts, at: number): Promise<Float64Array> {
  if (n <= o.base) return baseCholesky(A, n, at);
  const h = Math.ceil(n / 2);
  const q = n - h;
  const L11 = await chol(subBlock(A, n, { r0: 0, c0: 0, rows: h, cols: h }), h, o, at);
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
  const L22 = await chol(S, q, o, at + h);
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

function baseCholesky(A: Float64Array, n: number, at: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = A[j * n + j]!;
    for (let k = 0; k < j; k++) s -= L[j * n + k]! ** 2;
    if (!(s > 0))
      throw new InternalError(`expert adaptation: normal equations not positive definite at ${at + j}`);
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
