/**
 * Rotary position embedding exactly as transformers: angles = position · inv_freq (float32), emb = [angles, angles],
 * x' = x·cos + rotate_half(x)·sin with rotate_half([x₁, x₂]) = [−x₂, x₁], on the first `rotaryDim` channels of each
 * head (partial rotary: the rest pass through). cos/sin are computed per graph from position_ids, so there is no
 * table size limit. inv_freq comes from rope-frequencies.ts; longrope keeps two tables and picks the long one when
 * the sequence (largest position + 1, over the whole batch, as transformers' `torch.max(position_ids) + 1`) is longer
 * than the original length — one choice for the whole forward pass, cached keys included (they were rotated when
 * they were computed, in an earlier pass).
 */
import type { Rope } from '../ir/model.js';
import { ELEM } from '../onnx/builder.js';
import type { DecoderContext } from './context.js';
import { ropeFrequencies } from './rope-frequencies.js';

export interface RopeTables {
  readonly cos: string; // [B, T, 1, rotaryDim]
  readonly sin: string; // [B, T, 1, rotaryDim]
  readonly rotaryDim: number;
}

export function ropeTables(ctx: DecoderContext, positionIds: string, rope: Rope): RopeTables {
  const { b } = ctx;
  const { short, long, cosScale } = ropeFrequencies(rope);
  const pos = b.unsqueeze(b.cast(positionIds, ELEM.float), [-1]); // [B, T, 1]
  const invFreq = long
    ? b.scope('longrope', () => pickLongrope(ctx, positionIds, rope, { short, long }))
    : b.f32(short);
  const angles = b.mul(pos, invFreq); // [B, T, d/2]
  const emb = b.unsqueeze(b.concat([angles, angles], -1), [2]); // [B, T, 1, d]
  const scale = (v: string) => (cosScale === 1 ? v : b.mul(v, b.scalarF32(cosScale)));
  return { cos: scale(b.cos(emb)), sin: scale(b.sin(emb)), rotaryDim: rope.rotaryDim };
}

/** inv_freq [d/2]: the long factors when max(position_ids) + 1 > original length, else the short ones. */
function pickLongrope(
  ctx: DecoderContext,
  positionIds: string,
  rope: Rope,
  tables: { short: number[]; long: number[] },
): string {
  const { b } = ctx;
  const original = rope.scaling.type === 'longrope' ? rope.scaling.originalMaxPositions : 0;
  const length = b.add(b.reduceMax(positionIds, [0, 1], 0), b.scalarI64(1)); // [] int64
  return b.where(b.greater(length, b.scalarI64(original)), b.f32(tables.long), b.f32(tables.short));
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
