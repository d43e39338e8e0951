/**
 * One nested block of a permuted FFN on a batch of rows: its activations h_j and its output h_j W_down,j. The MoE
 * FFN (moe-ffn.ts), the adapted experts (moe-adapted.ts) and the target probe (probe.ts) build on these. Every
 * product goes through the graph's precision (precision/linear-weight.ts).
 */
import type { Ffn } from '../ir/model.js';
import { activation } from './activation.js';
import type { DecoderContext } from './context.js';
import type { BlockWeights } from './expert-weights.js';
import { applyLinear, type LinearWeight } from './precision/linear-weight.js';

/** One block's FFN: x [M, d] → act(x Wg) ⊙ (x Wu) Wd, or act(x Wu + bu) Wd, (+ the down bias) [M, d]. */
export function blockOutput(
  ctx: DecoderContext,
  a: { ffn: Ffn; block: BlockWeights; x: string; bias?: string | undefined },
): string {
  const { b } = ctx;
  const y = applyLinear(ctx, a.block.down, blockHidden(ctx, a)); // [M, d]
  return a.bias ? b.add(y, a.bias) : y;
}

/** One block's activations h = act(x Wg) ⊙ (x Wu), or act(x Wu + bu): x [M, d] → [M, w_j]. */
export function blockHidden(ctx: DecoderContext, a: { ffn: Ffn; block: BlockWeights; x: string }): string {
  const { b } = ctx;
  const { block, x } = a;
  const project = (w: LinearWeight, bias?: string) => {
    const y = applyLinear(ctx, w, x);
    return bias ? b.add(y, bias) : y;
  };
  const up = project(block.up, block.upBias); // [M, w_j]
  return block.gate
    ? b.mul(activation(b, a.ffn.activation, project(block.gate, block.gateBias)), up)
    : activation(b, a.ffn.activation, up);
}
