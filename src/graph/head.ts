/**
 * The head part: the last layer's output [B, T, H] → final norm → LM head → logits [B, T, V], soft-capped
 * c·tanh(l / c) where the model caps them (Gemma 2 `final_logit_softcapping`).
 */
import type { ModelIR } from '../ir/model.js';
import { softcap } from './attention.js';
import type { DecoderContext } from './context.js';
import { norm } from './norms.js';
import type { EmbeddingTable } from './precision/embedding.js';
import { linear } from './weights.js';

export interface HeadResult {
  /** The final norm's output, the LM head's input (the golden `hidden_states.{L}`). */
  readonly normed: string;
  readonly logits: string;
}

/**
 * `embed` is the embedding matrix in the graph's precision, which a tied head reuses (precision/embedding.ts); the
 * logits are float32 in every precision, so the soft-cap is float32 math.
 */
export async function headOutput(
  ctx: DecoderContext,
  ir: ModelIR,
  io: { readonly embed: () => Promise<EmbeddingTable>; readonly hidden: string },
): Promise<HeadResult> {
  const { b } = ctx;
  const normed = await b.scope('final_norm', () => norm(ctx, ir.finalNorm, io.hidden));
  const logits = await b.scope('lm_head', async () => {
    const raw = isTiedHead(ir)
      ? await (await io.embed()).tiedHead(normed)
      : await linear(ctx, ir.lmHead, normed);
    return ir.math.finalSoftcap === undefined ? raw : softcap(ctx, raw, ir.math.finalSoftcap);
  });
  return { normed, logits };
}

/** Tied heads reuse the embedding initializer (written once). */
export function isTiedHead(ir: ModelIR): boolean {
  return ir.lmHead.weight.name === ir.embed.name && ir.lmHead.weight.file === ir.embed.file;
}
