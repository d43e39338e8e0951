/**
 * The family features a canonical model uses beyond a plain Llama layer, for `moefy inspect`: its RoPE variant,
 * sliding-window layers, soft-caps, fused projections, and norm/embedding variants. Pure: derived from the IR only.
 */
import type { Linear, ModelIR, Rope } from './model.js';

export interface RopeFeature {
  readonly type: Rope['scaling']['type'];
  readonly theta: number;
  /** Channels rotated per head, of `headDim`. */
  readonly rotaryDim: number;
  readonly headDim: number;
  readonly factor?: number;
  /** llama3 / longrope: the original context length (longrope switches to its long factors past it). */
  readonly originalLength?: number;
  readonly attentionFactor?: number;
  /** Gemma 3: the base of the plain table its sliding layers use. */
  readonly localTheta?: number;
}

export interface FamilyFeatures {
  /** Null for learned positions (GPT-2). */
  readonly rope: RopeFeature | null;
  /** Layers with a sliding window, by window size. */
  readonly slidingLayers: readonly { readonly window: number; readonly layers: readonly number[] }[];
  readonly softcaps: { readonly attention?: number; readonly final?: number };
  /** Fused tensors (layer index as `*`) and the roles each is split into. */
  readonly fused: readonly { readonly tensor: string; readonly parts: readonly string[] }[];
  /** Other variants: `gain 1 + w`, `q/k norms`, `post-attention and post-FFN norms`, `embeddings × √hidden`. */
  readonly variants: readonly string[];
}

export function familyFeatures(ir: ModelIR): FamilyFeatures {
  const windows = new Map<number, number[]>();
  for (const l of ir.layers)
    if (l.window !== undefined) windows.set(l.window, [...(windows.get(l.window) ?? []), l.index]);
  return {
    rope: ropeFeature(ir),
    slidingLayers: [...windows].map(([window, layers]) => ({ window, layers })),
    softcaps: {
      ...(ir.math.attnSoftcap !== undefined && { attention: ir.math.attnSoftcap }),
      ...(ir.math.finalSoftcap !== undefined && { final: ir.math.finalSoftcap }),
    },
    fused: fusedOf(ir),
    variants: variantsOf(ir),
  };
}

function ropeFeature(ir: ModelIR): RopeFeature | null {
  const pos = ir.positions;
  if (pos.kind !== 'rope') return null;
  const s = pos.scaling;
  return {
    type: s.type,
    theta: pos.theta,
    rotaryDim: pos.rotaryDim,
    headDim: ir.config.headDim,
    ...((s.type === 'linear' || s.type === 'llama3') && { factor: s.factor }),
    ...((s.type === 'llama3' || s.type === 'longrope') && { originalLength: s.originalMaxPositions }),
    ...(s.type === 'longrope' && { attentionFactor: s.attentionFactor }),
    ...(pos.local && { localTheta: pos.local.theta }),
  };
}

function fusedOf(ir: ModelIR): FamilyFeatures['fused'] {
  const layer = ir.layers[0];
  if (!layer) return [];
  const named: [string, Linear | undefined][] = [
    ['q', layer.attn.q],
    ['k', layer.attn.k],
    ['v', layer.attn.v],
    ['o', layer.attn.o],
    ['gate', layer.ffn.kind === 'gated' ? layer.ffn.gate : undefined],
    ['up', layer.ffn.up],
    ['down', layer.ffn.down],
  ];
  const parts = new Map<string, string[]>();
  for (const [role, lin] of named) {
    if (lin?.fusedFrom) parts.set(lin.fusedFrom, [...(parts.get(lin.fusedFrom) ?? []), role]);
  }
  return [...parts].map(([tensor, roles]) => ({ tensor: tensor.replace(/\.0\./, '.*.'), parts: roles }));
}

function variantsOf(ir: ModelIR): string[] {
  const layer = ir.layers[0];
  const out: string[] = [];
  if (ir.finalNorm.gainOffset) out.push(`gain ${ir.finalNorm.gainOffset} + w`);
  if (layer?.attn.qNorm) out.push('q/k norms');
  if (layer?.postAttnNorm || layer?.postFfnNorm) out.push('post-attention and post-FFN norms');
  if (ir.math.embedScale !== undefined) out.push('embeddings × √hidden');
  if (ir.math.attnScalar !== undefined) out.push(`scores ÷ √${ir.math.attnScalar}`);
  return out;
}
