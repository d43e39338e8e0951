import { InternalError } from '../util/errors.js';
import { inputWidth, type RouterWeights } from './spec.js';

/** y[rows, out] = x[rows, in]·w[in, out] + b, float64 accumulation. */
function affine(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array,
  dims: { rows: number; inF: number; outF: number },
): Float32Array {
  const { rows, inF, outF } = dims;
  const y = new Float32Array(rows * outF);
  const acc = new Float64Array(outF);
  for (let r = 0; r < rows; r++) {
    acc.set(b);
    for (let i = 0; i < inF; i++) {
      const xi = x[r * inF + i] as number;
      for (let o = 0; o < outF; o++) acc[o] = (acc[o] as number) + xi * (w[i * outF + o] as number);
    }
    y.set(acc, r * outF);
  }
  return y;
}

/**
 * Plain-JS reference of the router graph: its input rows [rows, inputWidth] (x, then any extra features:
 * features.ts `routerRows`) → predicted z [rows, K−1]. Tests compare ONNX against it.
 */
export function routerForward(weights: RouterWeights, x: Float32Array, rows: number): Float32Array {
  const { outputs } = weights;
  const d = inputWidth(weights);
  if (x.length !== rows * d)
    throw new InternalError(`router input: expected ${rows}×${d} values, got ${x.length}`);
  if (weights.kind === 'ridge') return affine(x, weights.w1, weights.b1, { rows, inF: d, outF: outputs });
  const { hidden, w2, b2 } = weights;
  const h = affine(x, weights.w1, weights.b1, { rows, inF: d, outF: hidden });
  for (let i = 0; i < h.length; i++) {
    const v = h[i] as number;
    h[i] = v / (1 + Math.exp(-v)); // SiLU
  }
  return affine(h, w2, b2, { rows, inF: hidden, outF: outputs });
}
