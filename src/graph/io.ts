/**
 * Declarations of the graph inputs and outputs the decoder and the part graphs of layer-graph.ts share; the names
 * themselves are in names.ts (Optimum's, DESIGN.md §2).
 */
import { ELEM } from '../onnx/builder.js';
import { DIMS, type DecoderContext } from './context.js';
import { ATTENTION_MASK, INPUT_IDS, pastName, POSITION_IDS, presentName } from './names.js';

export interface PastInputs {
  readonly key: string;
  readonly value: string;
}

export interface DecoderInputs {
  readonly inputIds: string; // int64 [B, T]
  readonly attentionMask: string; // int64 [B, past + T]
  readonly positionIds: string; // int64 [B, T]
  /** Per layer, when the graph has a KV cache: float [B, kvHeads, past, headDim]. */
  readonly past: readonly (PastInputs | undefined)[];
}

export function declareInputs(ctx: DecoderContext, withPast: boolean): DecoderInputs {
  const inputIds = ctx.b.input(INPUT_IDS, ELEM.int64, [DIMS.batch, DIMS.seq]);
  const { attentionMask, positionIds } = declareAttentionInputs(ctx, withPast);
  const past = Array.from({ length: ctx.config.numLayers }, (_, i) =>
    withPast ? declarePast(ctx, i) : undefined,
  );
  return { inputIds, attentionMask, positionIds, past };
}

/** attention_mask int64 [B, past + T] (or [B, T] without a cache) and position_ids int64 [B, T]. */
export function declareAttentionInputs(
  ctx: DecoderContext,
  withPast: boolean,
): { attentionMask: string; positionIds: string } {
  const { b } = ctx;
  const attentionMask = b.input(ATTENTION_MASK, ELEM.int64, [DIMS.batch, withPast ? DIMS.total : DIMS.seq]);
  const positionIds = b.input(POSITION_IDS, ELEM.int64, [DIMS.batch, DIMS.seq]);
  return { attentionMask, positionIds };
}

/** past_key_values.{layer}.key|value float [B, kvHeads, past, headDim]. */
export function declarePast(ctx: DecoderContext, layer: number): PastInputs {
  const dims = [DIMS.batch, ctx.config.numKvHeads, DIMS.past, ctx.config.headDim];
  return {
    key: ctx.b.input(pastName(layer, 'key'), ELEM.float, dims),
    value: ctx.b.input(pastName(layer, 'value'), ELEM.float, dims),
  };
}

/** present.{layer}.key|value float [B, kvHeads, past + T, headDim]. */
export function declarePresent(ctx: DecoderContext, layer: number, kv: PastInputs): void {
  const dims = [DIMS.batch, ctx.config.numKvHeads, DIMS.total, ctx.config.headDim];
  ctx.b.output(presentName(layer, 'key'), kv.key, ELEM.float, dims);
  ctx.b.output(presentName(layer, 'value'), kv.value, ELEM.float, dims);
}
