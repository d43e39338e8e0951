/** RMSNorm (as HF: x · rsqrt(mean(x²) + eps) · w, in float32) and LayerNorm (opset 17 LayerNormalization). */
import type { Norm } from '../ir/model.js';
import type { DecoderContext } from './context.js';
import { readVector } from './weights.js';

/** x [..., hidden] → [..., hidden] */
export async function norm(ctx: DecoderContext, spec: Norm, x: string): Promise<string> {
  const { b } = ctx;
  const hidden = ctx.config.hidden;
  const w = ctx.weight(spec.weight.name, await readVector(spec.weight, hidden), [hidden]);
  if (spec.kind === 'layer') {
    const bias = spec.bias
      ? ctx.weight(spec.bias.name, await readVector(spec.bias, hidden), [hidden])
      : undefined;
    return b.layerNorm(x, w, bias, { epsilon: spec.eps });
  }
  const variance = b.reduceMean(b.mul(x, x), [-1]); // [..., 1]
  const inv = b.reciprocal(b.sqrt(b.add(variance, b.scalarF32(spec.eps))));
  return b.mul(b.mul(x, inv), w);
}
