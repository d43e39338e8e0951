/**
 * A symmetric matrix kept as the tiles of its lower triangle, and a tall matrix as row blocks, for the adaptation's
 * nested solves (nested-cholesky.ts). Why tiles: the Cholesky factor can overwrite them one at a time (no second
 * p × p buffer), only half the matrix is stored, and each tile is a contiguous array a float64 GEMM takes as it is.
 * The tile edges include every nested prefix, so each expert's system is a whole number of tiles.
 */
import { InternalError } from '../util/errors.js';

/** Tiles up to this many rows: large enough that each GEMM runs near ORT's full rate, small next to a system. */
export const SOLVE_TILE = 1024;

/** A [n, n] symmetric matrix: `tiles[i][j]` (j ≤ i) is the [size_i, size_j] block at (edges[i], edges[j]). */
export interface LowerTiles {
  /** Tile starts, then n: edges[i] ≤ row < edges[i + 1] is tile row i. */
  readonly edges: readonly number[];
  readonly tiles: Float64Array[][];
}

/**
 * Tile edges over [0, top) containing every prefix (increasing, the last = top), each piece split into equal
 * tiles of at most `tile` rows.
 */
export function tileEdges(prefixes: readonly number[], tile: number): number[] {
  const edges = [0];
  for (const end of prefixes) {
    const start = edges.at(-1)!;
    if (end < start)
      throw new InternalError(`tile edges: prefixes must increase, got ${prefixes.join(', ')}`);
    if (end === start) continue;
    const parts = Math.ceil((end - start) / Math.max(1, tile));
    for (let t = 1; t <= parts; t++) edges.push(start + Math.round(((end - start) * t) / parts));
  }
  return edges;
}

/** The lower tiles of the symmetric matrix whose (r, c) entry (r ≥ c) is `at(r, c)`. */
export function gatherLower(edges: readonly number[], at: (r: number, c: number) => number): LowerTiles {
  const tiles = edges.slice(0, -1).map((r0, i) => {
    const rows = edges[i + 1]! - r0;
    return edges.slice(0, i + 1).map((c0, j) => {
      const cols = edges[j + 1]! - c0;
      const t = new Float64Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        const limit = i === j ? r + 1 : cols; // a diagonal tile's upper part mirrors its lower
        for (let c = 0; c < limit; c++) t[r * cols + c] = at(r0 + r, c0 + c);
      }
      if (i === j)
        for (let r = 0; r < rows; r++) for (let c = r + 1; c < cols; c++) t[r * cols + c] = t[c * cols + r]!;
      return t;
    });
  });
  return { edges, tiles };
}

/** The row blocks [size_i, d] of a [n, d] matrix whose row r is `row(r)` (length d). */
export function gatherRows(
  edges: readonly number[],
  d: number,
  row: (r: number) => ArrayLike<number>,
): Float64Array[] {
  return edges.slice(0, -1).map((r0, i) => {
    const out = new Float64Array((edges[i + 1]! - r0) * d);
    for (let r = r0; r < edges[i + 1]!; r++) out.set(row(r), (r - r0) * d);
    return out;
  });
}
