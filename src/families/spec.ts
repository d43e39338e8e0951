/**
 * The shape of a family spec (`src/families/*.json`): which HF architectures it covers, tensor-name templates per
 * role, weight layout, and how config.json keys map to canonical dimensions. Validated on load so a typo in a spec
 * fails loudly instead of silently dropping a tensor.
 */
import { z } from 'zod';
import { InternalError } from '../util/errors.js';

export const INT_KEYS = [
  'vocab',
  'hidden',
  'layers',
  'heads',
  'kv_heads',
  'head_dim',
  'ffn_dim',
  'max_positions',
] as const;
export type IntKey = (typeof INT_KEYS)[number];

/** Config key(s) to read, first one set wins (`torch_dtype` vs newer `dtype`). */
const keys = z.union([z.string(), z.array(z.string()).min(1)]);

/** An integer default derived from another canonical value: `from × times` (GPT-2: ffn_dim = 4 · hidden). */
const derived = z.strictObject({ from: z.enum(INT_KEYS), times: z.number().int().positive().default(1) });

const intEntry = z.strictObject({ key: keys.optional(), default: derived.optional() });
const numEntry = z.strictObject({ key: keys, default: z.number().optional() });
const strEntry = z.strictObject({ key: keys, default: z.string().optional() });
const boolEntry = z.strictObject({ key: keys, default: z.boolean().optional() });

/** A bias exists always, or when any listed config flag is true or the architecture is listed. */
const biasWhen = z.union([
  z.literal('always'),
  z.strictObject({ config: z.array(z.string()).default([]), architectures: z.array(z.string()).default([]) }),
]);

const tensorEntry = z.strictObject({
  weight: z.string().min(1),
  bias: z.strictObject({ name: z.string().min(1), when: biasWhen }).optional(),
  /** A packed projection: its output dimension is these roles' outputs laid end to end, in this order. */
  split: z.array(z.enum(['attn.q', 'attn.k', 'attn.v', 'ffn.gate', 'ffn.up'])).optional(),
});

/**
 * Which layers are sliding-window layers when config.json has no `layer_types` list: `all`; `pattern` p — layer i
 * slides iff (i + 1) mod p ≠ 0 (Gemma 2: p = 2, Gemma 3: `sliding_window_pattern`); `from` n — layer i slides iff
 * i ≥ n (Qwen2/Qwen3: `max_window_layers`; Mistral has no such key, so every layer).
 */
const slidingLayers = z.union([
  z.literal('all'),
  z.strictObject({
    pattern: z.strictObject({ key: z.string().optional(), default: z.number().int().positive() }),
  }),
  z.strictObject({
    from: z.strictObject({ key: z.string(), default: z.number().int().nonnegative() }),
  }),
]);

const slidingEntry = z.strictObject({
  /** Config key of the window size W (query i sees keys i − W < j ≤ i); no window when unset. */
  window: z.string(),
  /** A config flag that switches the window off when false (Qwen: `use_sliding_window`). */
  enabled_by: z.string().optional(),
  /** Config key of transformers' per-layer list (`sliding_attention` / `full_attention`); wins over `layers`. */
  layer_types: z.string().default('layer_types'),
  layers: slidingLayers,
});

export const LAYER_ROLES = [
  'norm.attn',
  'attn.q',
  'attn.k',
  'attn.v',
  'attn.qkv',
  'attn.o',
  'norm.q',
  'norm.k',
  'norm.post_attn',
  'norm.ffn',
  'ffn.gate',
  'ffn.up',
  'ffn.gate_up',
  'ffn.down',
  'norm.post_ffn',
] as const;
export const MODEL_ROLES = ['embed', 'pos_embed', 'norm.final', 'lm_head'] as const;

export const familySpecSchema = z.strictObject({
  id: z.string().min(1),
  architectures: z.array(z.string().min(1)).min(1),
  /** Values for `{p}` in templates, tried in order; the first under which the embedding exists wins (GPT-2 checkpoints exist with and without `transformer.`). */
  prefixes: z.array(z.string()).min(1).default(['']),
  layout: z.enum(['out_in', 'in_out']),
  norm: z.enum(['rms', 'layer']),
  ffn: z.enum(['gated', 'plain']),
  positions: z.enum(['rope', 'learned']),
  /** Added to every stored norm gain (Gemma: 1, the gain is 1 + w). */
  norm_gain_offset: z.number().default(0),
  /** Token embeddings × √hidden (Gemma). */
  embed_scale: z.enum(['none', 'sqrt_hidden']).default('none'),
  config: z.strictObject({
    vocab: intEntry,
    hidden: intEntry,
    layers: intEntry,
    heads: intEntry,
    kv_heads: intEntry,
    head_dim: intEntry,
    ffn_dim: intEntry,
    max_positions: intEntry,
    rope_theta: numEntry.optional(),
    /** Base of the second RoPE table used by sliding layers (Gemma 3 `rope_local_base_freq`). */
    rope_local_theta: numEntry.optional(),
    /** Fraction of each head's channels that rotate (Phi-4-mini `partial_rotary_factor`). */
    partial_rotary: numEntry.optional(),
    /** Scores are divided by √(this) instead of √head_dim (Gemma `query_pre_attn_scalar`). */
    attn_scalar: numEntry.optional(),
    attn_softcap: numEntry.optional(),
    final_softcap: numEntry.optional(),
    norm_eps: numEntry,
    activation: strEntry,
    tied: boolEntry,
    source_dtype: strEntry,
  }),
  /** Config keys whose presence (not null/false) changes the math in ways we do not implement yet. */
  unsupported_when_set: z.array(z.string()).default([]),
  /** Sliding-window attention, when the family has it. */
  sliding: slidingEntry.optional(),
  model: z.partialRecord(z.enum(MODEL_ROLES), tensorEntry),
  /** Templates with `{i}` for the layer index. */
  layer: z.partialRecord(z.enum(LAYER_ROLES), tensorEntry),
});

export type FamilySpec = z.infer<typeof familySpecSchema>;
export type TensorEntry = z.infer<typeof tensorEntry>;
export type BiasWhen = z.infer<typeof biasWhen>;
export type SlidingEntry = z.infer<typeof slidingEntry>;

/** Specs ship with moefy: a broken one is our bug, reported with every problem. */
export function parseFamilySpec(source: string, json: unknown): FamilySpec {
  const result = familySpecSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new InternalError(`family spec ${source}: ${problems}`);
  }
  return result.data;
}
