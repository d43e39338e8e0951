/**
 * `experts.adapt: joint` (DESIGN.md §3 "Expert adaptation"): ONE shared down projection W [m, d] (rows in the
 * permuted neuron order) good for every nested prefix at once, with no extra parameters:
 *   min Σ_k w_k ‖y' − h[:n_k] W[:n_k]‖² + λ ‖W‖²,   y' = y − b (b the dense down bias, kept as it is),
 * over calibration tokens, k over every expert INCLUDING the full one. Row block j (neurons [n_{j−1}, n_j)) is used
 * by the experts k ≥ j, so with c(j) = Σ_{k ≥ j} w_k the normal equations are one m×m SPD system
 *   Σ_i c(max(i, j)) H_jᵀH_i W_i + λ W_j = c(j) H_jᵀ y'
 * built from the same sums lsq uses (adapt-lsq.ts NormalEquations) and solved by the same Cholesky machinery
 * (nested-cholesky.ts). λ =
 * ridge · mean diagonal of the weighted Gram (relative, like lsq's). The full expert no longer reproduces the dense
 * FFN exactly, so threshold 0 is not bit-exact: the report measures its perplexity delta and `moefy check` gates it.
 */
import { InputError } from '../util/errors.js';
import type { NormalEquations } from './adapt-lsq.js';
import { nestedSolve } from './nested-cholesky.js';
import type { Gemm } from './spd-inverse.js';

/** w_k per expert: 1 for every smaller expert, `fullWeight` for the full one. */
export function jointWeights(experts: number, fullWeight: number): number[] {
  return Array.from({ length: experts }, (_, k) => (k === experts - 1 ? fullWeight : 1));
}

/** The shared down projection [m, d] (rows in permuted order) of one layer. */
export async function fitJointDown(
  eq: NormalEquations,
  a: {
    permutation: Int32Array;
    sizes: readonly number[];
    weights: readonly number[];
    ridge: number;
    gemm: Gemm;
    /** The dense down projection's bias [d], when the model has one: fitted against y − b. */
    downBias?: Float32Array;
    base?: number;
  },
): Promise<Float32Array> {
  const { ffnDim: m, hidden: d } = eq;
  if (eq.count === 0) throw new InputError('expert adaptation: no calibration tokens to fit on');
  if (!(a.ridge >= 0) || !Number.isFinite(a.ridge)) {
    throw new InputError(`experts.adapt_ridge: expected a finite number ≥ 0, got ${a.ridge}`);
  }
  if (a.weights.length !== a.sizes.length || a.weights.some((w) => !(w > 0) || !Number.isFinite(w))) {
    throw new InputError(
      `experts.adapt_full_weight: expected ${a.sizes.length} positive expert weights, got [${a.weights.join(', ')}]`,
    );
  }
  // c(j) = Σ_{k ≥ j} w_k, and each permuted neuron's block.
  const c = a.weights.map((_, j) => a.weights.slice(j).reduce((s, w) => s + w, 0));
  const blockOf = new Int32Array(m);
  a.sizes.forEach((end, j) => blockOf.fill(j, j === 0 ? 0 : a.sizes[j - 1]!, end));
  const p = a.permutation;
  const A = new Float64Array(m * m);
  const B = new Float64Array(m * d);
  const sumRow = m * (m + 1); // the constant column's row: Σ h
  for (let r = 0; r < m; r++) {
    const src = p[r]! * (m + 1);
    const br = blockOf[r]!;
    for (let col = 0; col < m; col++)
      A[r * m + col] = c[Math.max(br, blockOf[col]!)]! * eq.hth[src + p[col]!]!;
    const cr = c[br]!;
    const yr = p[r]! * d;
    const sh = eq.hth[sumRow + p[r]!]!;
    for (let o = 0; o < d; o++)
      B[r * d + o] = cr * (eq.hty[yr + o]! - (a.downBias ? sh * a.downBias[o]! : 0));
  }
  let meanDiag = 0;
  for (let r = 0; r < m; r++) meanDiag += A[r * m + r]! / m;
  const lambda = a.ridge * meanDiag + 1e-12 * eq.count; // the floor keeps a dead neuron's row solvable
  for (let r = 0; r < m; r++) A[r * m + r]! += lambda;
  const [X] = await nestedSolve(A, B, {
    n: m,
    d,
    prefixes: [m],
    gemm: a.gemm,
    ...(a.base !== undefined && { base: a.base }),
  });
  return Float32Array.from(X!);
}
