/**
 * Causal self-attention with GQA/MQA, optional per-head q/k norms, RoPE, soft-capped scores and an optional KV
 * cache. Grouped heads are not copied: queries are viewed as [B, kvHeads, groups, T, D] and keys/values as
 * [B, kvHeads, 1, S, D], and MatMul broadcasts over the group axis. HF head h uses kv head h // groups, which is
 * exactly that view's order.
 */
import type { Layer, ModelMath } from '../ir/model.js';
import type { DecoderContext } from './context.js';
import { norm } from './norms.js';
import { applyRope, type RopeTables } from './rope.js';
import { linear } from './weights.js';

export interface AttentionIo {
  readonly bias: string; // [B, 1, 1, T, S] additive (the layer's window already in it)
  readonly rope?: RopeTables;
  readonly past?: { readonly key: string; readonly value: string }; // [B, kvHeads, past, D]
  readonly math: ModelMath;
}

export interface AttentionResult {
  readonly out: string; // [B, T, hidden]
  readonly key: string; // [B, kvHeads, S, D] (present, keys after RoPE)
  readonly value: string; // [B, kvHeads, S, D]
}

export async function attention(
  ctx: DecoderContext,
  layer: Layer,
  x: string,
  io: AttentionIo,
): Promise<AttentionResult> {
  const { b } = ctx;
  const { numHeads: heads, numKvHeads: kvHeads, headDim: d } = ctx.config;
  const groups = heads / kvHeads;
  const { q, k } = await queriesAndKeys(ctx, layer, x, io.rope);
  const v = b.reshape(await linear(ctx, layer.attn.v, x), [0, 0, kvHeads, d]); // [B, T, KV, D]
  let key = b.transpose(k, [0, 2, 1, 3]); // [B, KV, T, D]
  let value = b.transpose(v, [0, 2, 1, 3]); // [B, KV, T, D]
  if (io.past) {
    key = b.concat([io.past.key, key], 2); // [B, KV, S, D]
    value = b.concat([io.past.value, value], 2); // [B, KV, S, D]
  }
  const q5 = b.transpose(b.reshape(q, [0, 0, kvHeads, groups, d]), [0, 2, 3, 1, 4]); // [B, KV, G, T, D]
  const kT = b.unsqueeze(b.transpose(key, [0, 1, 3, 2]), [2]); // [B, KV, 1, D, S]
  const scores = b.add(scoreMath(ctx, b.matMul(q5, kT), io.math), io.bias); // [B, KV, G, T, S]
  const context = b.matMul(b.softmax(scores, -1), b.unsqueeze(value, [2])); // [B, KV, G, T, D]
  const merged = b.reshape(b.transpose(context, [0, 3, 1, 2, 4]), [0, 0, heads * d]); // [B, T, H·D]
  const out = await b.scope('o', () => linear(ctx, layer.attn.o, merged));
  return { out, key, value };
}

/** q [B, T, H, D] and k [B, T, KV, D]: projected, per-head normalised (Qwen3, Gemma 3), then rotated. */
async function queriesAndKeys(
  ctx: DecoderContext,
  layer: Layer,
  x: string,
  rope: RopeTables | undefined,
): Promise<{ q: string; k: string }> {
  const { b } = ctx;
  const { numHeads: heads, numKvHeads: kvHeads, headDim: d } = ctx.config;
  const { qNorm, kNorm } = layer.attn;
  let q = b.reshape(await linear(ctx, layer.attn.q, x), [0, 0, heads, d]); // [B, T, H, D]
  let k = b.reshape(await linear(ctx, layer.attn.k, x), [0, 0, kvHeads, d]); // [B, T, KV, D]
  if (qNorm) q = await b.scope('q_norm', () => norm(ctx, qNorm, q, d));
  if (kNorm) k = await b.scope('k_norm', () => norm(ctx, kNorm, k, d));
  if (!rope) return { q, k };
  return { q: applyRope(ctx, q, rope), k: applyRope(ctx, k, rope) };
}

/**
 * Raw scores → scaled (÷ √headDim, or × query_pre_attn_scalar^−½ as Gemma does) → soft-capped c·tanh(s / c) when the
 * model caps them (Gemma 2), before the mask is added.
 */
function scoreMath(ctx: DecoderContext, scores: string, math: ModelMath): string {
  const { b } = ctx;
  const scaled =
    math.attnScalar === undefined
      ? b.div(scores, b.scalarF32(Math.sqrt(ctx.config.headDim)))
      : b.mul(scores, b.scalarF32(math.attnScalar ** -0.5));
  return math.attnSoftcap === undefined ? scaled : softcap(ctx, scaled, math.attnSoftcap);
}

/** c · tanh(x / c): x [...] → [...]. */
export function softcap(ctx: DecoderContext, x: string, cap: number): string {
  const { b } = ctx;
  const c = b.scalarF32(cap);
  return b.mul(b.tanh(b.div(x, c)), c);
}
