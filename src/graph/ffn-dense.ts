/** The dense FFN: gated down(act(gate x) ⊙ up x) (Llama) or plain down(act(up x)) (GPT-2). */
import type { Layer } from '../ir/model.js';
import { activation } from './activation.js';
import type { DecoderContext, FfnBuilder } from './context.js';
import { linear } from './weights.js';

/** h = act(gate x) ⊙ up x, or act(up x): x [B, T, hidden] → [B, T, ffn] (what calibration measures). */
export async function ffnActivation(ctx: DecoderContext, layer: Layer, x: string): Promise<string> {
  const { ffn } = layer;
  const gate = ffn.kind === 'gated' ? await linear(ctx, ffn.gate, x) : undefined; // [B, T, ffn]
  const up = await linear(ctx, ffn.up, x); // [B, T, ffn]
  return gate
    ? ctx.b.mul(activation(ctx.b, ffn.activation, gate), up)
    : activation(ctx.b, ffn.activation, up);
}

export const denseFfn: FfnBuilder = async (ctx, layer, x) =>
  linear(ctx, layer.ffn.down, await ffnActivation(ctx, layer, x)); // [B, T, hidden]

/** The dense FFN that also hands each layer's activation h [B, T, ffn] to `record` (the `mlp_act.{i}` outputs). */
export function recordingDenseFfn(record: (layer: number, h: string) => void): FfnBuilder {
  return async (ctx, layer, x) => {
    const h = await ffnActivation(ctx, layer, x);
    record(layer.index, h);
    return linear(ctx, layer.ffn.down, h);
  };
}
