/**
 * Dense row-major float64 helpers shared by the blocked SPD solvers (spd-inverse.ts, nested-cholesky.ts).
 */

/** The [rows, cols] block of M [*, width] at (r0, c0), copied. */
export function subBlock(
  M: Float64Array,
  width: number,
  b: { r0: number; c0: number; rows: number; cols: number },
): Float64Array {
  const out = new Float64Array(b.rows * b.cols);
  for (let r = 0; r < b.rows; r++) {
    const src = (b.r0 + r) * width + b.c0;
    out.set(M.subarray(src, src + b.cols), r * b.cols);
  }
  return out;
}

/** In place: M [n, n] ← (M + Mᵀ)/2 (exact in real arithmetic; rounding would leave the two triangles apart). */
export function symmetrize(M: Float64Array, n: number): void {
  for (let r = 0; r < n; r++) {
    for (let c = r + 1; c < n; c++) {
      const v = (M[r * n + c]! + M[c * n + r]!) / 2;
      M[r * n + c] = v;
      M[c * n + r] = v;
    }
  }
}
