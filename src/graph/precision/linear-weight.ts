/**
 * A linear layer's weight in the graph's precision, and the op that multiplies by it. Every linear of the decoder
 * (attention, dense FFN, LM head, the MoE's nested blocks) goes through here, so a precision is one decision per
 * weight instead of one per call site (linear-store.ts stores the weights).
 *
 *   fp32   MatMul(x, W)                                    W float32 (or a kept bf16/f16 checkpoint + Cast)
 *   fp16   Cast(MatMul(Cast(x, f16), W), f32)              W float16 [in, out]
 *   q4     MatMulNBits(x, B, scales, zero_points)          4-bit blocks of 32 along `in` (onnx/quantize-nbits.ts),
 *                                                          int8 activations (accuracy_level 4, ir/precision.ts)
 *                                                          (q4f16: float16 activations, no accuracy_level)
 *   q4f16  Cast(MatMulNBits(Cast(x, f16), …), f32)         float16 scales
 *   q8     DynamicQuantizeLinear(x) → MatMulInteger(x_q, W_q, x_zp, w_zp) → Cast → Mul(x_scale · w_scale)
 *          W_q uint8 per output column (onnx/quantize-uint8.ts)
 *
 * Only the linear layers change precision: norms, softmax, the residual stream, the KV cache and the router stay
 * float32, as torch.autocast keeps reductions and softmax in float32 while matmuls run in float16. The q8 pattern is
 * the one ORT's dynamic quantizer emits (operators/matmul.py MatMulInteger); ORT fuses it into
 * DynamicQuantizeMatMul when it loads the graph.
 */
import { Q4_ACCURACY_LEVEL, Q4_BLOCK } from '../../ir/precision.js';
import { ELEM, type GraphBuilder, MS_DOMAIN } from '../../onnx/builder.js';
import type { DecoderContext } from '../context.js';

export type LinearWeight =
  /** W [in, out]; `half`: W is float16 and the product is computed in float16. */
  | { readonly kind: 'float'; readonly value: string; readonly half: boolean }
  | {
      readonly kind: 'nbits';
      readonly packed: string;
      readonly scales: string;
      readonly zeroPoints: string;
      readonly k: number;
      readonly n: number;
      readonly half: boolean;
    }
  /** W_q uint8 [in, out] with per-column (or one) scale and zero point. */
  | { readonly kind: 'uint8'; readonly values: string; readonly scale: string; readonly zero: string };

/** A float32 weight of a linear layer, before it is stored. */
export interface LinearSource {
  /** Initializer name (the checkpoint tensor's, or a block's); quantized parts add suffixes. */
  readonly name: string;
  readonly data: Float32Array;
  /** in_features, out_features. */
  readonly k: number;
  readonly n: number;
  /** `in_out`: data is [k, n]; `out_in`: data is [n, k] (torch.nn.Linear). */
  readonly layout: 'in_out' | 'out_in';
}

/** y = x W: x float32 [..., in] → float32 [..., out]. */
export function applyLinear(ctx: DecoderContext, w: LinearWeight, x: string): string {
  const { b } = ctx;
  switch (w.kind) {
    case 'float':
      return w.half ? toFloat(b, b.matMul(toHalf(b, x), w.value)) : b.matMul(x, w.value);
    case 'nbits': {
      const a = w.half ? toHalf(b, x) : x;
      // int8 activations for float32 inputs only: with float16 inputs (q4f16, meant for GPUs) the MoE at threshold 0
      // no longer matched the dense graph on ORT's CPU kernel (|Δ logits| ≈ 0.04 on the golden cases).
      const attrs = {
        K: w.k,
        N: w.n,
        bits: 4,
        block_size: Q4_BLOCK,
        ...(!w.half && { accuracy_level: Q4_ACCURACY_LEVEL }),
      };
      const inputs = [a, w.packed, w.scales, w.zeroPoints];
      const y = b.op('MatMulNBits', inputs, attrs, { domain: MS_DOMAIN })[0]!;
      return w.half ? toFloat(b, y) : y;
    }
    case 'uint8': {
      const [xq, xScale, xZero] = b.op('DynamicQuantizeLinear', [x], {}, { outputs: 3 }) as [
        string,
        string,
        string,
      ];
      const acc = b.op('MatMulInteger', [xq, w.values, xZero, w.zero])[0]!; // int32 [..., out]
      return b.mul(b.cast(acc, ELEM.float), b.mul(xScale, w.scale));
    }
  }
}

/** Casts are memoized per graph, so q/k/v (or a block's gate and up) share one float16 copy of their input. */
const halves = new WeakMap<GraphBuilder, Map<string, string>>();

function toHalf(b: GraphBuilder, x: string): string {
  const known = halves.get(b) ?? new Map<string, string>();
  halves.set(b, known);
  const cached = known.get(x);
  if (cached) return cached;
  const half = b.cast(x, ELEM.float16);
  known.set(x, half);
  return half;
}

function toFloat(b: GraphBuilder, x: string): string {
  return b.cast(x, ELEM.float);
}
