/**
 * RMSNorm (as HF: x · rsqrt(mean(x²) + eps) · gain, in float32) and LayerNorm (opset 17 LayerNormalization). The
 * gain is the stored weight, or 1 + weight for Gemma (`gainOffset`), formed in float32 after the stored weight is
 * cast up: forming 1 + w in bf16 would round it (0.023 on the Gemma 2 golden logits). Norms compute in float32
 * whatever the compute dtype (transformers upcasts); with float32 compute, as today, there is nothing to cast.
 */
import type { Norm } from '../ir/model.js';
import type { DecoderContext } from './context.js';
import { readVector } from './weights.js';

/** x [..., width] → [..., width]; width defaults to the hidden size (q/k norms pass headDim). */
export async function norm(
  ctx: DecoderContext,
  spec: Norm,
  x: string,
  width = ctx.config.hidden,
): Promise<string> {
  const { b } = ctx;
  const stored = ctx.weight(spec.weight.name, await readVector(spec.weight, width), [width]);
  const w = spec.gainOffset ? b.add(stored, b.scalarF32(spec.gainOffset)) : stored; // ORT folds it at load
  if (spec.kind === 'layer') {
    const bias = spec.bias
      ? ctx.weight(spec.bias.name, await readVector(spec.bias, width), [width])
      : undefined;
    return b.layerNorm(x, w, bias, { epsilon: spec.eps });
  }
  const variance = b.reduceMean(b.mul(x, x), [-1]); // [..., 1]
  const inv = b.reciprocal(b.sqrt(b.add(variance, b.scalarF32(spec.eps))));
  return b.mul(b.mul(x, inv), w);
}
