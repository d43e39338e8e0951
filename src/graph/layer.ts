/**
 * One decoder layer, the part the whole decoder graph and the one-layer graphs (layer-graph.ts) are both built from:
 *   h   = x + post_attn_norm?(attn(attn_norm(x)))
 *   out = h + post_ffn_norm?(ffn(ffn_norm(h)))
 * (the post norms are Gemma 2/3's; without them this is Llama's and GPT-2's layer). The attention inputs a layer
 * needs — the additive bias of its window and its RoPE table — come from `AttentionInputs`, built once per graph for
 * the windows and tables its layers use.
 */
import type { Layer, ModelIR } from '../ir/model.js';
import { attention, type AttentionResult } from './attention.js';
import type { DecoderContext, FfnBuilder } from './context.js';
import { attentionBias, type MaskInputs } from './mask.js';
import { norm } from './norms.js';
import { ropeTables, type RopeTables } from './rope.js';

export interface AttentionInputs {
  /** The additive bias for keys within `window` (undefined: the whole causal prefix). */
  bias(window: number | undefined): string;
  rope(table: Layer['rope']): RopeTables | undefined;
}

/**
 * Builds, at the current scope, the biases and RoPE tables `layers` use (each once): the whole graph passes every
 * layer, a one-layer graph its own.
 */
export function attentionInputs(
  ctx: DecoderContext,
  ir: ModelIR,
  io: MaskInputs & { readonly positionIds: string; readonly layers: readonly Layer[] },
): AttentionInputs {
  const biases = new Map<number | undefined, string>();
  for (const w of new Set(io.layers.map((l) => l.window))) biases.set(w, attentionBias(ctx, io, w));
  const tables = new Map<Layer['rope'], RopeTables>();
  const pos = ir.positions;
  if (pos.kind === 'rope') {
    for (const t of new Set(io.layers.map((l) => l.rope))) {
      const rope = t === 'local' && pos.local ? pos.local : pos;
      tables.set(
        t,
        ctx.b.scope(t === 'local' ? 'rope_local' : 'rope', () => ropeTables(ctx, io.positionIds, rope)),
      );
    }
  }
  return {
    bias: (window) => biases.get(window)!,
    rope: (table) => tables.get(table),
  };
}

export interface LayerIo {
  readonly attention: AttentionInputs;
  readonly ir: ModelIR;
  readonly past?: { readonly key: string; readonly value: string };
  readonly ffn: FfnBuilder;
}

export interface LayerResult {
  readonly out: string; // [B, T, hidden]
  readonly attn: AttentionResult;
  /** The FFN's input (after its norm) and output (before any post norm and the residual add), [B, T, hidden]. */
  readonly ffnIn: string;
  readonly ffnOut: string;
  /** The residual stream r the FFN's norm reads and its output is added to, [B, T, hidden]. */
  readonly ffnResidual: string;
}

/** x [B, T, H] → [B, T, H]. */
export async function decoderLayer(
  ctx: DecoderContext,
  layer: Layer,
  x: string,
  io: LayerIo,
): Promise<LayerResult> {
  const { b } = ctx;
  const attnIn = await b.scope('attn_norm', () => norm(ctx, layer.attnNorm, x));
  const attn = await b.scope('attn', () =>
    attention(ctx, layer, attnIn, {
      bias: io.attention.bias(layer.window),
      rope: io.attention.rope(layer.rope),
      past: io.past,
      math: io.ir.math,
    }),
  );
  const { postAttnNorm, postFfnNorm } = layer;
  const attnOut = postAttnNorm
    ? await b.scope('post_attn_norm', () => norm(ctx, postAttnNorm, attn.out))
    : attn.out;
  const mid = b.add(x, attnOut);
  const ffnIn = await b.scope('ffn_norm', () => norm(ctx, layer.ffnNorm, mid));
  const ffnOut = await b.scope('ffn', () => io.ffn(ctx, layer, ffnIn, mid));
  const added = postFfnNorm ? await b.scope('post_ffn_norm', () => norm(ctx, postFfnNorm, ffnOut)) : ffnOut;
  return { out: b.add(mid, added), attn, ffnIn, ffnOut, ffnResidual: mid };
}
