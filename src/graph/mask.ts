/**
 * The additive attention bias from attention_mask [B, S] (S = past + T): key k is visible to query t iff
 * k ≤ past + t, attention_mask[b, k] = 1 and, for a sliding-window layer of window W, k > past + t − W (exactly W
 * keys, itself included: transformers ≥ 4.45's convention). Positions are slots of the sequence, cache included, so
 * the window counts absolute positions in a KV cache too. Blocked scores get float32's minimum (as HF), never
 * -inf, so a fully padded row softmaxes to a uniform row instead of NaN (NaN there would leak into valid rows via
 * 0·NaN).
 */
import type { DecoderContext } from './context.js';

export const FLOAT32_MIN = -3.4028234663852886e38;

export interface MaskInputs {
  /** Any value whose dim 1 is the new tokens' count T (input_ids, or the hidden states of a layer graph). */
  readonly tokens: string;
  readonly attentionMask: string; // int64 [B, S]
}

/** → [B, 1, 1, T, S] float32, broadcasting over the [B, kvHeads, groups, T, S] scores. */
export function attentionBias(ctx: DecoderContext, io: MaskInputs, window?: number): string {
  const { b } = ctx;
  return b.scope(window === undefined ? 'mask' : `mask_window_${window}`, () => {
    const seq = b.squeeze(b.shape(io.tokens, 1, 2), [0]); // T (scalar)
    const total = b.squeeze(b.shape(io.attentionMask, 1, 2), [0]); // S (scalar)
    const one = b.scalarI64(1);
    const keys = b.range(b.scalarI64(0), total, one); // [S]
    const queries = b.unsqueeze(b.range(b.sub(total, seq), total, one), [1]); // [T, 1] absolute positions
    let blockedKeys = b.less(queries, keys); // [T, S] future keys
    if (window !== undefined) {
      const stale = b.lessOrEqual(keys, b.sub(queries, b.scalarI64(window))); // [T, S] k ≤ t − W
      blockedKeys = b.or(blockedKeys, stale);
    }
    const padded = b.unsqueeze(b.equal(io.attentionMask, b.scalarI64(0)), [1, 2, 3]); // [B, 1, 1, 1, S]
    const blocked = b.or(padded, blockedKeys); // [B, 1, 1, T, S]
    return b.where(blocked, b.scalarF32(FLOAT32_MIN), b.scalarF32(0));
  });
}
