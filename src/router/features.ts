/**
 * The router's extra input features (spec.ts `RouterInput`), computed the same way in JS (training rows) and in the
 * graph (router-graph.ts): log(‖r‖ + ε), r the residual stream entering the FFN norm. ε is the targets' own
 * (router/targets.ts ERROR_EPSILON, the one in e_k's denominator ‖r + y‖ + ε), so a zero residual stays finite.
 */
import { InternalError } from '../util/errors.js';
import { ERROR_EPSILON } from './targets.js';
import type { RouterInput } from './spec.js';

/** log(‖r‖ + ε) from ‖r‖, in float32 as the graph holds it. */
function logNormFeature(norm: number): number {
  return Math.fround(Math.log(Math.fround(norm + ERROR_EPSILON)));
}

/**
 * The rows a router with `input` reads: x [rows, d] as is for `normed`; for `normed+log_norm` [rows, d + 1], each
 * row x followed by log(‖r‖ + ε) from `residualNorms` [rows].
 */
export function routerRows(
  input: RouterInput,
  a: { x: Float32Array; rows: number; residualNorms?: Float32Array | undefined },
): Float32Array {
  if (input === 'normed') return a.x;
  const { x, rows, residualNorms } = a;
  if (!residualNorms || residualNorms.length !== rows)
    throw new InternalError(
      `router input ${input}: expected ${rows} residual norms, got ${residualNorms?.length}`,
    );
  const d = x.length / rows;
  const out = new Float32Array(rows * (d + 1));
  for (let r = 0; r < rows; r++) {
    out.set(x.subarray(r * d, (r + 1) * d), r * (d + 1));
    out[r * (d + 1) + d] = logNormFeature(residualNorms[r]!);
  }
  return out;
}
