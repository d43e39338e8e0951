/**
 * `experts.adapt: joint` (DESIGN.md §3 "Expert adaptation"): ONE shared down projection W [m, d] (rows in the
 * permuted neuron order) good for every nested prefix at once, with no extra parameters:
 *   min Σ_k w_k ‖y' − h[:n_k] W[:n_k]‖² + λ ‖W‖²,   y' = y − b (b the dense down bias, kept as it is),
 * over calibration tokens, k over every expert INCLUDING the full one. Row block j (neurons [n_{j−1}, n_j)) is used
 * by the experts k ≥ j, so with c(j) = Σ_{k ≥ j} w_k the normal equations are one m×m SPD system
 *   Σ_i c(max(i, j)) H_jᵀH_i W_i + λ W_j = c(j) H_jᵀ y'
 * built from the same sums lsq uses (normal-equations.ts) and solved by the same Cholesky machinery
 * (nested-cholesky.ts). λ =
 * ridge · mean diagonal of the weighted Gram (relative, like lsq's). The full expert no longer reproduces the dense
 * FFN exactly, so threshold 0 is not bit-exact: the report measures its perplexity delta and `moefy check` gates it.
 */
import { InputError } from '../util/errors.js';
import { checkFitInput } from './adapt-lsq.js';
import { gatherLower, gatherRows, type LowerTiles, SOLVE_TILE, tileEdges } from './lower-tiles.js';
import { nestedSolveTiles, type SolveBlocks } from './nested-cholesky.js';
import type { NormalEquations } from './normal-equations.js';

/** w_k per expert: 1 for every smaller expert, `fullWeight` for the full one. */
export function jointWeights(experts: number, fullWeight: number): number[] {
  return Array.from({ length: experts }, (_, k) => (k === experts - 1 ? fullWeight : 1));
}

/** The weighted system [m, m] (permuted order, tiles cut at the expert sizes) and its right-hand sides. */
export interface JointSystem {
  readonly A: LowerTiles;
  readonly B: Float64Array[];
  readonly m: number;
  readonly d: number;
}

interface JointInput {
  permutation: Int32Array;
  sizes: readonly number[];
  weights: readonly number[];
  ridge: number;
  /** The dense down projection's bias [d], when the model has one: fitted against y − b. */
  downBias?: Float32Array;
  tile?: number;
}

/** Gathers the layer's system from its sums (a caller may drop the sums afterwards: the solve does not read them). */
export function jointSystem(eq: NormalEquations, a: JointInput): JointSystem {
  const { ffnDim: m, hidden: d } = eq;
  checkFitInput(eq, a.ridge);
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
  const weighted = (r: number, col: number) =>
    c[Math.max(blockOf[r]!, blockOf[col]!)]! * eq.at(p[r]!, p[col]!);
  let meanDiag = 0;
  for (let r = 0; r < m; r++) meanDiag += weighted(r, r) / m;
  const lambda = a.ridge * meanDiag + 1e-12 * eq.count; // the floor keeps a dead neuron's row solvable
  const edges = tileEdges(a.sizes, a.tile ?? SOLVE_TILE);
  const B = gatherRows(edges, d, (r) => {
    const cr = c[blockOf[r]!]!;
    const yt = eq.ytRow(p[r]!);
    const sh = eq.at(m, p[r]!); // Σ h of this neuron: the constant's row
    return Float64Array.from(yt, (v, o) => cr * (v - (a.downBias ? sh * a.downBias[o]! : 0)));
  });
  return { A: gatherLower(edges, (r, col) => weighted(r, col) + (r === col ? lambda : 0)), B, m, d };
}

/** Solves the system in place (its tiles and blocks are consumed) → the shared down projection [m, d]. */
export async function solveJoint(s: JointSystem, o: SolveBlocks): Promise<Float32Array> {
  const W = new Float32Array(s.m * s.d);
  await nestedSolveTiles(s.A, s.B, { ...o, d: s.d, prefixes: [s.m] }, (_, X) => {
    let at = 0;
    for (const x of X) {
      W.set(x, at);
      at += x.length;
    }
  });
  return W;
}

/**
 * The shared down projection [m, d] (rows in permuted order) of one layer.
 * @internal gather + solve in one call, for tests (convert drops the sums in between: adapt-layer.ts)
 */
export async function fitJointDown(eq: NormalEquations, a: JointInput & SolveBlocks): Promise<Float32Array> {
  return solveJoint(jointSystem(eq, a), a);
}
