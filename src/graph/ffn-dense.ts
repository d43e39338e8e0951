/** The dense FFN: gated down(act(gate x) ⊙ up x) (Llama) or plain down(act(up x)) (GPT-2). */
import { InputError } from '../util/errors.js';
import { activation } from './activation.js';
import type { FfnBuilder } from './context.js';
import { linear } from './weights.js';

export const denseFfn: FfnBuilder = async (ctx, layer, x) => {
  const { ffn } = layer;
  if (ffn.kind === 'gated' && !ffn.gate)
    throw new InputError(`layer ${layer.index}: gated FFN without a gate projection`);
  const gate = ffn.gate && ffn.kind === 'gated' ? await linear(ctx, ffn.gate, x) : undefined; // [B, T, ffn]
  const up = await linear(ctx, ffn.up, x); // [B, T, ffn]
  const h = gate
    ? ctx.b.mul(activation(ctx.b, ffn.activation, gate), up)
    : activation(ctx.b, ffn.activation, up);
  return linear(ctx, ffn.down, h); // [B, T, hidden]
};
