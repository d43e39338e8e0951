/**
 * The embedding part: token ids → hidden states [B, T, H]. Token rows are gathered from the embedding matrix
 * (+ learned position rows, GPT-2) and scaled where the model scales them (Gemma: × √hidden, the factor rounded to the
 * compute dtype first, as transformers' `torch.tensor(hidden_size**0.5, dtype=hidden_states.dtype)`).
 */
import type { ModelIR } from '../ir/model.js';
import { type DecoderContext, roundToCompute } from './context.js';
import type { EmbeddingTable } from './precision/embedding.js';

/**
 * input_ids [B, T] (and position_ids [B, T] for learned positions) → [B, T, H]. `embed` is the embedding matrix in
 * the graph's precision (precision/embedding.ts); its gather is float32 whatever the precision, so the scale and the
 * position rows are float32 math.
 */
export async function embedTokens(
  ctx: DecoderContext,
  ir: ModelIR,
  io: { readonly embed: EmbeddingTable; readonly inputIds: string; readonly positionIds: string },
): Promise<string> {
  const { b } = ctx;
  const gathered = io.embed.gather(io.inputIds); // [B, T, H]
  const scale = ir.math.embedScale;
  const tokens =
    scale === undefined ? gathered : b.mul(gathered, b.scalarF32(roundToCompute(scale, ctx.compute)));
  if (ir.positions.kind !== 'learned') return tokens;
  const { table } = ir.positions;
  const wpe =
    ctx.keep(table) ?? ctx.weight(table.name, await table.read(), [table.shape[0]!, ir.config.hidden]);
  return b.add(tokens, b.gather(wpe, io.positionIds));
}
