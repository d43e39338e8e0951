/**
 * Rotary position embedding exactly as HF Llama/Qwen2: inv_freq = 1 / θ^(2i/d) in float32, angles =
 * position · inv_freq, emb = [angles, angles], x' = x·cos + rotate_half(x)·sin with rotate_half(x) = [-x₂, x₁].
 * cos/sin are computed once per graph from position_ids (no table size limit).
 */
import { ELEM } from '../onnx/builder.js';
import type { DecoderContext } from './context.js';

export interface RopeTables {
  readonly cos: string; // [B, T, 1, rotaryDim]
  readonly sin: string; // [B, T, 1, rotaryDim]
  readonly rotaryDim: number;
}

/** Matches torch: `1.0 / (base ** (arange(0, d, 2).float() / d))` evaluated in float32. */
export function inverseFrequencies(theta: number, rotaryDim: number): number[] {
  const f = Math.fround;
  return Array.from({ length: rotaryDim / 2 }, (_, i) =>
    f(1 / f(Math.pow(f(theta), f((2 * i) / rotaryDim)))),
  );
}

export function ropeTables(
  ctx: DecoderContext,
  positionIds: string,
  opts: { theta: number; rotaryDim: number },
): RopeTables {
  const { b } = ctx;
  return b.scope('rope', () => {
    const pos = b.unsqueeze(b.cast(positionIds, ELEM.float), [-1]); // [B, T, 1]
    const angles = b.mul(pos, b.f32(inverseFrequencies(opts.theta, opts.rotaryDim))); // [B, T, d/2]
    const emb = b.unsqueeze(b.concat([angles, angles], -1), [2]); // [B, T, 1, d]
    return { cos: b.cos(emb), sin: b.sin(emb), rotaryDim: opts.rotaryDim };
  });
}

/** x [B, T, heads, headDim] → same shape; only the first rotaryDim channels rotate (partial rotary). */
export function applyRope(ctx: DecoderContext, x: string, rope: RopeTables): string {
  const { b } = ctx;
  const headDim = ctx.config.headDim;
  const rot =
    rope.rotaryDim === headDim ? x : b.slice(x, { starts: [0], ends: [rope.rotaryDim], axes: [-1] });
  const [x1, x2] = b.split(rot, -1, 2) as [string, string];
  const rotated = b.add(b.mul(rot, rope.cos), b.mul(b.concat([b.neg(x2), x1], -1), rope.sin));
  if (rope.rotaryDim === headDim) return rotated;
  const pass = b.slice(x, { starts: [rope.rotaryDim], ends: [headDim], axes: [-1] });
  return b.concat([rotated, pass], -1);
}
