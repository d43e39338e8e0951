/**
 * Oracle routing in-graph: the router's headroom under the MoE's own upstream activations. Every expert runs on
 * every row (so this graph costs the dense FFN plus the comparison), the true relative errors
 * e_k = ‖y − y_k‖ / (‖base‖ + ε) of router/targets.ts (base = the layer's output r + y, or y) are computed from the
 * expert outputs, and each token takes the
 * smallest k with e_k ≤ threshold (else the full width) — the graph twin of `oracleChoice` (router/targets.ts).
 */
import { ELEM } from '../onnx/builder.js';
import { ERROR_EPSILON } from '../router/targets.js';
import type { DecoderContext } from './context.js';
import { chooseFromErrors } from './router-graph.js';

export interface OracleInput {
  /**
   * Every expert's output y_k on every row, k = 0..K−1, each [N, d] (prefix sums of the nested blocks, or the
   * adapted experts' own outputs); the last is the dense output y.
   */
  readonly outputs: readonly string[];
  /** Token rows [N, d]. */
  readonly rows: string;
  /** float32 [] (already scaled by the layer's s_l). */
  readonly threshold: string;
  /** The residual rows [N, d] the FFN output is added to: errors are then relative to ‖residual + y‖. */
  readonly residual?: string | undefined;
}

/** → the chosen prefix output y_c [N, d] and the choice int64 [N]. */
export function oracleLayer(ctx: DecoderContext, a: OracleInput): { y: string; choice: string } {
  const { b } = ctx;
  const prefixes = a.outputs; // y_k [N, d]
  const full = prefixes.at(-1)!; // y [N, d]
  const outputs = prefixes.length - 1;
  if (outputs === 0) return { y: full, choice: b.constantOfShape(b.shape(a.rows, 0, 1), 0, ELEM.int64) };
  const norm = (v: string) => b.sqrt(b.reduceSum(b.mul(v, v), [1], 1)); // [N, 1]
  const base = a.residual ? b.add(a.residual, full) : full; // [N, d]
  const denominator = b.add(norm(base), b.scalarF32(ERROR_EPSILON)); // [N, 1]
  const errors = prefixes.slice(0, outputs).map((p) => b.div(norm(b.sub(full, p)), denominator)); // K−1 × [N, 1]
  const choice = chooseFromErrors(ctx, b.concat(errors, 1), a.threshold, outputs); // [N]
  return { y: selectPrefix(ctx, { prefixes, choice }), choice };
}

/** y_c per row [N, d]: the full output where no smaller prefix was chosen. */
function selectPrefix(ctx: DecoderContext, a: { prefixes: readonly string[]; choice: string }): string {
  const { b } = ctx;
  const chosen = (k: number) => b.unsqueeze(b.equal(a.choice, b.scalarI64(k)), [1]); // [N, 1] bool
  return a.prefixes.slice(0, -1).reduceRight((y, p, k) => b.where(chosen(k), p, y), a.prefixes.at(-1)!);
}
