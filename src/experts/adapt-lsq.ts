/**
 * Expert adaptation by least squares (DESIGN.md §3 "Expert adaptation"): each expert k < K gets its own down
 * projection W_k [n_k, d] and bias b_k [d], the ridge solution of
 *   min ‖y − h[:n_k] W_k − b_k‖² + λ_k ‖W_k‖²      over calibration tokens,
 * with h the FFN activation (act(gate)⊙up, neurons in permuted order), y the dense FFN output and one
 * λ = ridge · mean(diag(hᵀh)[:n_{K−1}]) for every expert (relative, so one setting fits every layer's scale; the
 * bias is not penalized; the same λ for every prefix makes each expert's system a leading block of the largest).
 * The normal equations need only hᵀh, hᵀy, Σh, Σy and the count, accumulated in float64 over every calibration
 * token in the FFN's own neuron order; a permutation then picks the rows and columns. The full expert keeps the
 * dense weights, so threshold 0 is still the dense model. The systems, constant column first, are nested: one
 * Cholesky factorization of the largest serves all (experts/nested-cholesky.ts), its O(n³) products in the
 * caller's float64 GEMM (ORT's in practice).
 */
import { InputError, InternalError } from '../util/errors.js';
import { nestedSolve } from './nested-cholesky.js';
import type { Gemm } from './spd-inverse.js';

/** The sufficient statistics of one layer over the calibration tokens (unpermuted neuron order). */
export class NormalEquations {
  /** [(m+1)², ] symmetric: neurons 0..m−1 then the constant 1 (for the bias). */
  readonly hth: Float64Array;
  /** [(m+1), d]: Σ h_i y, then Σ y. */
  readonly hty: Float64Array;
  count = 0;

  constructor(
    readonly ffnDim: number,
    readonly hidden: number,
  ) {
    this.hth = new Float64Array((ffnDim + 1) ** 2);
    this.hty = new Float64Array((ffnDim + 1) * hidden);
  }

  /**
   * Adds one batch's partial sums, each computed over `rows` tokens with a ones column appended to h:
   * hth [(m+1), (m+1)], hty [(m+1), d] (float32 from the Gram graph; summed here in float64).
   */
  add(batch: { hth: ArrayLike<number>; hty: ArrayLike<number>; rows: number }): void {
    if (batch.hth.length !== this.hth.length || batch.hty.length !== this.hty.length) {
      throw new InternalError(
        `normal equations: expected ${this.hth.length} + ${this.hty.length} values, got ${batch.hth.length} + ${batch.hty.length}`,
      );
    }
    for (let i = 0; i < this.hth.length; i++) this.hth[i]! += batch.hth[i]!;
    for (let i = 0; i < this.hty.length; i++) this.hty[i]! += batch.hty[i]!;
    this.count += batch.rows;
  }
}

export interface AdaptedExpert {
  /** [n_k, d] row-major: rows follow the permuted neuron order. */
  readonly down: Float32Array;
  /** [d]. */
  readonly bias: Float32Array;
}

/** One layer's adapted experts k = 0..K−2 (the full expert keeps the dense down projection). */
export async function fitAdaptedExperts(
  eq: NormalEquations,
  a: { permutation: Int32Array; sizes: readonly number[]; ridge: number; gemm: Gemm; base?: number },
): Promise<AdaptedExpert[]> {
  if (eq.count === 0) throw new InputError('expert adaptation: no calibration tokens to fit on');
  if (!(a.ridge >= 0) || !Number.isFinite(a.ridge)) {
    throw new InputError(`experts.adapt_ridge: expected a finite number ≥ 0, got ${a.ridge}`);
  }
  const ns = a.sizes.slice(0, -1);
  if (ns.length === 0) return [];
  const { ffnDim: m, hidden: d } = eq;
  const top = ns.at(-1)!;
  const p = top + 1; // the constant, then the largest adapted expert's neurons
  const idx = Int32Array.from([m, ...a.permutation.subarray(0, top)]);
  const A = new Float64Array(p * p);
  const B = new Float64Array(p * d);
  for (let r = 0; r < p; r++) {
    const src = idx[r]! * (m + 1);
    for (let c = 0; c < p; c++) A[r * p + c] = eq.hth[src + idx[c]!]!;
    B.set(eq.hty.subarray(idx[r]! * d, idx[r]! * d + d), r * d);
  }
  let meanDiag = 0;
  for (let r = 1; r < p; r++) meanDiag += A[r * p + r]! / top;
  const lambda = a.ridge * meanDiag + 1e-12 * eq.count; // the floor keeps a dead neuron's row solvable
  for (let r = 1; r < p; r++) A[r * p + r]! += lambda;
  const solved = await nestedSolve(A, B, {
    n: p,
    d,
    prefixes: ns.map((n) => n + 1),
    gemm: a.gemm,
    ...(a.base !== undefined && { base: a.base }),
  });
  return solved.map((X, k) => ({
    bias: Float32Array.from(X.subarray(0, d)),
    down: Float32Array.from(X.subarray(d, (ns[k]! + 1) * d)),
  }));
}
