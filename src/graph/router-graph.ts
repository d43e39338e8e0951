/**
 * The router subgraph of DESIGN.md §3 and the expert choice it drives: rows x [N, d] → predicted log-errors
 * z = SiLU(x W1 + b1) W2 + b2 (mlp) or x W1 + b1 (ridge) [N, K−1]; e_k = exp(z_k) − δ; a token takes the smallest
 * k with e_k ≤ threshold, else K−1 — the graph twin of `routerForward` + `chooseExpert` (src/router/forward.ts).
 */
import { ELEM } from '../onnx/builder.js';
import { firstLayerWidth, inputWidth, type RouterWeights } from '../router/spec.js';
import { ERROR_EPSILON, LOG_ERROR_DELTA } from '../router/targets.js';
import type { DecoderContext } from './context.js';

/**
 * x [N, d] → z [N, K−1]; a `normed+log_norm` router also reads the residual stream the FFN's norm read ([.., d],
 * one row per row of x), others leave it unused. Router weights stay float32 whatever the model dtype: they are tiny
 * and the choice is a threshold decision that rounding would move. Names `router.{layer}.{w1,b1,w2,b2}`.
 */
export function routerLogErrors(
  ctx: DecoderContext,
  r: RouterWeights,
  rows: { x: string; residual: string },
  layer: number,
): string {
  const { b } = ctx;
  const inner = firstLayerWidth(r);
  const w = (name: string, data: Float32Array, dims: number[]) =>
    b.weight(`router.${layer}.${name}`, ELEM.float, dims, data);
  const x =
    r.input === 'normed+log_norm'
      ? b.concat([rows.x, b.scope(LOG_NORM_SCOPE, () => logNorm(ctx, rows.residual, r.d))], 1)
      : rows.x; // [N, width]
  const first = b.add(b.matMul(x, w('w1', r.w1, [inputWidth(r), inner])), w('b1', r.b1, [inner])); // [N, r]
  if (r.kind === 'ridge') return first;
  const h = b.mul(first, b.sigmoid(first)); // SiLU [N, r]
  return b.add(b.matMul(h, w('w2', r.w2, [inner, r.outputs])), w('b2', r.b2, [r.outputs])); // [N, K−1]
}

/**
 * Where the log‖r‖ feature's nodes are named (`…/choice/router_log_norm/…`): tests find the feature by it.
 * @internal
 */
export const LOG_NORM_SCOPE = 'router_log_norm';

/** The residual [.., d] → log(‖r‖ + ε) [N, 1] per row, as router/features.ts computes it for the training rows. */
function logNorm(ctx: DecoderContext, residual: string, d: number): string {
  const { b } = ctx;
  const rows = b.reshape(residual, [-1, d]); // [N, d]
  const norm = b.sqrt(b.reduceSum(b.mul(rows, rows), [1], 1)); // [N, 1]
  return b.log(b.add(norm, b.scalarF32(ERROR_EPSILON)));
}

/**
 * z [N, K−1], threshold float32 [] → choice int64 [N]. A threshold ≤ 0 (or NaN) gives every token the full
 * width whatever the router predicts (e_k can be as low as −δ), so threshold 0 is exactly the dense model.
 */
export function chooseFromRouter(
  ctx: DecoderContext,
  r: RouterWeights,
  z: string,
  threshold: string,
): string {
  if (r.output !== 'logit') return chooseFromLogErrors(ctx, z, threshold, r.outputs);
  const { b } = ctx;
  return chooseFromErrors(ctx, b.sub(b.scalarF32(1), b.sigmoid(z)), threshold, r.outputs); // e = 1 − σ(z)
}

export function chooseFromLogErrors(
  ctx: DecoderContext,
  z: string,
  threshold: string,
  outputs: number,
): string {
  const { b } = ctx;
  return chooseFromErrors(ctx, b.sub(b.exp(z), b.scalarF32(LOG_ERROR_DELTA)), threshold, outputs);
}

/** e [N, K−1] (predicted or true relative errors), threshold float32 [] → choice int64 [N], as above. */
export function chooseFromErrors(ctx: DecoderContext, e: string, threshold: string, outputs: number): string {
  const { b } = ctx;
  const enabled = b.greater(threshold, b.scalarF32(0)); // [] bool
  const ok = b.and(b.lessOrEqual(e, threshold), enabled); // [N, K−1]
  const ks = b.i64(Array.from({ length: outputs }, (_, k) => k)); // [K−1]
  const candidates = b.where(ok, ks, b.scalarI64(outputs)); // [N, K−1]: k where acceptable, else K−1
  return b.op('ReduceMin', [candidates], { axes: [1], keepdims: 0 })[0]!; // [N] smallest acceptable k
}
