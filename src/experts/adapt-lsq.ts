/**
 * Expert adaptation by least squares (DESIGN.md §3 "Expert adaptation"): each expert k < K gets its own down
 * projection W_k [n_k, d] and bias b_k [d], the ridge solution of
 *   min ‖y − h[:n_k] W_k − b_k‖² + λ_k ‖W_k‖²      over calibration tokens,
 * with h the FFN activation (act(gate)⊙up, neurons in permuted order), y the dense FFN output and one
 * λ = ridge · mean(diag(hᵀh)[:n_{K−1}]) for every expert (relative, so one setting fits every layer's scale; the
 * bias is not penalized; the same λ for every prefix makes each expert's system a leading block of the largest).
 * The normal equations need only hᵀh, hᵀy, Σh, Σy and the count (normal-equations.ts), accumulated in float64
 * over every calibration token in the FFN's own neuron order; a permutation then picks the rows and columns. The
 * full expert keeps the dense weights, so threshold 0 is still the dense model. The systems, constant column
 * first, are nested: one Cholesky factorization of the largest serves all (experts/nested-cholesky.ts), its
 * O(n³) products in the caller's float64 GEMM (ORT's in practice).
 *
 * Two steps, so that a caller can drop the layer's sums before the solve (app/convert/adapt-layer.ts): `lsqSystem`
 * gathers the largest adapted expert's system (the only part of the sums the fit needs), `solveLsq` solves it.
 */
import { InputError } from '../util/errors.js';
import { gatherLower, gatherRows, type LowerTiles, SOLVE_TILE, tileEdges } from './lower-tiles.js';
import { nestedSolveTiles, type SolveBlocks } from './nested-cholesky.js';
import type { NormalEquations } from './normal-equations.js';

export interface AdaptedExpert {
  /** [n_k, d] row-major: rows follow the permuted neuron order. */
  readonly down: Float32Array;
  /** [d]. */
  readonly bias: Float32Array;
}

/** The largest adapted expert's ridge system [1 h[:top]], ready for the nested solve. */
export interface LsqSystem {
  readonly A: LowerTiles;
  /** Row blocks of the right-hand sides [p, d]. */
  readonly B: Float64Array[];
  readonly d: number;
  /** p_k = n_k + 1 per adapted expert. */
  readonly prefixes: readonly number[];
}

/** Refuses a layer without tokens or a ridge term that is not a finite number ≥ 0 (lsq and joint alike). */
export function checkFitInput(eq: NormalEquations, ridge: number): void {
  if (eq.count === 0) throw new InputError('expert adaptation: no calibration tokens to fit on');
  if (!(ridge >= 0) || !Number.isFinite(ridge)) {
    throw new InputError(`experts.adapt_ridge: expected a finite number ≥ 0, got ${ridge}`);
  }
}

/** The system of experts k = 0..K−2 from the layer's sums, or null when only the full expert is left. */
export function lsqSystem(
  eq: NormalEquations,
  a: { permutation: Int32Array; sizes: readonly number[]; ridge: number; tile?: number },
): LsqSystem | null {
  checkFitInput(eq, a.ridge);
  const ns = a.sizes.slice(0, -1);
  if (ns.length === 0) return null;
  const { ffnDim: m, hidden: d } = eq;
  const top = ns.at(-1)!;
  const p = top + 1; // the constant, then the largest adapted expert's neurons
  const idx = Int32Array.from([m, ...a.permutation.subarray(0, top)]);
  let meanDiag = 0;
  for (let r = 1; r < p; r++) meanDiag += eq.at(idx[r]!, idx[r]!) / top;
  const lambda = a.ridge * meanDiag + 1e-12 * eq.count; // the floor keeps a dead neuron's row solvable
  const prefixes = ns.map((n) => n + 1);
  const edges = tileEdges(prefixes, a.tile ?? SOLVE_TILE);
  return {
    A: gatherLower(edges, (r, c) => eq.at(idx[r]!, idx[c]!) + (r === c && r > 0 ? lambda : 0)),
    B: gatherRows(edges, d, (r) => eq.ytRow(idx[r]!)),
    d,
    prefixes,
  };
}

/** Solves the system in place (its tiles and blocks are consumed) → experts k = 0..K−2. */
export async function solveLsq(s: LsqSystem, o: SolveBlocks): Promise<AdaptedExpert[]> {
  const out: AdaptedExpert[] = [];
  await nestedSolveTiles(s.A, s.B, { ...o, d: s.d, prefixes: s.prefixes }, (k, X) => {
    // Row 0 of X is the bias, rows 1..n_k the down projection; float32 as they are stored.
    const bias = Float32Array.from(X[0]!.subarray(0, s.d));
    const down = new Float32Array((s.prefixes[k]! - 1) * s.d);
    let at = 0;
    X.forEach((x, i) => {
      const rows = i === 0 ? x.subarray(s.d) : x;
      down.set(rows, at);
      at += rows.length;
    });
    out.push({ bias, down });
  });
  return out;
}

/**
 * One layer's adapted experts k = 0..K−2 (the full expert keeps the dense down projection).
 * @internal gather + solve in one call, for tests and bench/adapt-solve.ts (convert drops the sums in between)
 */
export async function fitAdaptedExperts(
  eq: NormalEquations,
  a: SolveBlocks & { permutation: Int32Array; sizes: readonly number[]; ridge: number },
): Promise<AdaptedExpert[]> {
  const system = lsqSystem(eq, a);
  return system ? solveLsq(system, a) : [];
}
