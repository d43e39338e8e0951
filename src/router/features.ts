/**
 * The router's extra input features (spec.ts `RouterInput`), computed the same way in JS (training rows) and in the
 * graph (router-graph.ts): f = log(‖r‖ + ε), r the residual stream entering the FFN norm. ε is the targets' own
 * (router/targets.ts ERROR_EPSILON, the one in e_k's denominator ‖r + y‖ + ε), so a zero residual stays finite.
 *
 * The fits see f standardized per layer, (f − μ)/σ over the layer's calibration rows: on kjv-llama f sits near 3
 * with σ ≈ 0.3 beside x's unit-scale columns, a scale the mlp's init and step size do not reach in 400 steps. The
 * first layer is affine, so the fitted weights take μ and σ in afterwards (`foldFeatureScale`) and the graphs read
 * f itself: v·(f − μ)/σ + b = (v/σ)·f + (b − v·μ/σ).
 */
import { InternalError } from '../util/errors.js';
import { ERROR_EPSILON } from './targets.js';
import { firstLayerWidth, type RouterInput, type RouterWeights } from './spec.js';

/** μ and σ of a layer's f over its calibration rows. */
export interface FeatureScale {
  readonly mean: number;
  readonly std: number;
}

/** log(‖r‖ + ε) from ‖r‖, in float32 as the graph holds it. */
function logNormFeature(norm: number): number {
  return Math.fround(Math.log(Math.fround(norm + ERROR_EPSILON)));
}

/**
 * The rows a router with `input` is fitted on: x [rows, d] as is for `normed`; for `normed+log_norm` [rows, d + 1],
 * each row x followed by (f − μ)/σ, f from `residualNorms` [rows], and the scale to fold back in.
 */
export function routerRows(
  input: RouterInput,
  a: { x: Float32Array; rows: number; residualNorms?: Float32Array | undefined },
): { x: Float32Array; scale?: FeatureScale } {
  if (input === 'normed') return { x: a.x };
  const { x, rows, residualNorms } = a;
  if (!residualNorms || residualNorms.length !== rows)
    throw new InternalError(
      `router input ${input}: expected ${rows} residual norms, got ${residualNorms?.length}`,
    );
  const f = Array.from(residualNorms, logNormFeature);
  const mean = f.reduce((s, v) => s + v, 0) / Math.max(rows, 1);
  const spread = Math.sqrt(f.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(rows, 1));
  const scale = { mean, std: spread > 1e-12 ? spread : 1 }; // one value throughout: centre it, no scaling
  const d = x.length / rows;
  const out = new Float32Array(rows * (d + 1));
  for (let r = 0; r < rows; r++) {
    out.set(x.subarray(r * d, (r + 1) * d), r * (d + 1));
    out[r * (d + 1) + d] = (f[r]! - scale.mean) / scale.std;
  }
  return { x: out, scale };
}

/**
 * A router fitted on standardized f (w1's last row v) as one that reads f itself: last row v/σ, b1 − v·μ/σ. Float64
 * arithmetic, rounded to float32 once.
 */
export function foldFeatureScale(r: RouterWeights, scale: FeatureScale): RouterWeights {
  const inner = firstLayerWidth(r);
  const last = r.w1.length / inner - 1; // the f row
  const w1 = Float32Array.from(r.w1);
  const b1 = Float32Array.from(r.b1);
  for (let j = 0; j < inner; j++) {
    const v = r.w1[last * inner + j]! / scale.std;
    w1[last * inner + j] = v;
    b1[j] = r.b1[j]! - v * scale.mean;
  }
  return { ...r, w1, b1 };
}
