/**
 * The additive attention bias from attention_mask [B, S] (S = past + T): key k is visible to query t iff
 * k ≤ past + t and attention_mask[b, k] = 1. Blocked scores get float32's minimum (as HF), never -inf, so a
 * fully padded row softmaxes to a uniform row instead of NaN (NaN there would leak into valid rows via 0·NaN).
 */
import type { DecoderContext } from './context.js';

export const FLOAT32_MIN = -3.4028234663852886e38;

/** → [B, 1, 1, T, S] float32, broadcasting over the [B, kvHeads, groups, T, S] scores. */
export function attentionBias(ctx: DecoderContext, inputIds: string, attentionMask: string): string {
  const { b } = ctx;
  return b.scope('mask', () => {
    const seq = b.squeeze(b.shape(inputIds, 1, 2), [0]); // T (scalar)
    const total = b.squeeze(b.shape(attentionMask, 1, 2), [0]); // S (scalar)
    const one = b.scalarI64(1);
    const keys = b.range(b.scalarI64(0), total, one); // [S]
    const queries = b.unsqueeze(b.range(b.sub(total, seq), total, one), [1]); // [T, 1] absolute positions
    const future = b.less(queries, keys); // [T, S]
    const padded = b.unsqueeze(b.equal(attentionMask, b.scalarI64(0)), [1, 2, 3]); // [B, 1, 1, 1, S]
    const blocked = b.or(padded, future); // [B, 1, 1, T, S]
    return b.where(blocked, b.scalarF32(FLOAT32_MIN), b.scalarF32(0));
  });
}
