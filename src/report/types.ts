/**
 * The report.json contract (DESIGN.md §2, documented field by field in docs/report-format.md). Other tools and CI
 * read it: extend, never rename. The zod schema is the single source of truth; its key order is also the order
 * json.ts writes.
 */
import { z } from 'zod';

export const REPORT_SCHEMA_ID = 'moefy.report/1';

/** How a point routes tokens: the dense graph, the trained router, a fixed width, or the router's true targets. */
export const POINT_KINDS = ['dense', 'learned', 'static', 'oracle'] as const;
export type PointKind = (typeof POINT_KINDS)[number];

const fraction = z.number().min(0).max(1);
const positive = z.number().positive();
const count = z.number().int().nonnegative();

const latencySchema = z.object({
  prefill_ms: positive,
  /** Half the min-max range of the repeats, in ms: how far one measurement may be trusted. */
  prefill_ms_spread: z.number().nonnegative().optional(),
  decode_tokens_per_s: positive,
  decode_tokens_per_s_spread: z.number().nonnegative().optional(),
});

const pointSchema = z.object({
  kind: z.enum(POINT_KINDS),
  /** learned/oracle: the router_threshold; null otherwise. */
  threshold: z.number().nonnegative().nullable(),
  /** static: 0-based index into model.expert_sizes; null otherwise. */
  expert: count.nullable(),
  ffn_fraction: fraction,
  /** Whole-model MACs over dense; above 1 when the router costs more than it saves (threshold 0). */
  flops_fraction: z.number().nonnegative(),
  perplexity: positive,
  accuracy: fraction,
  ffn_fraction_per_layer: z.array(fraction),
  expert_histogram: z.array(count),
  latency: latencySchema.nullable(),
  pareto: z.boolean(),
});

/** For each learned point: the static curve interpolated at the same FFN fraction (null outside its range). */
const comparisonSchema = z.object({
  threshold: z.number().nonnegative(),
  ffn_fraction: fraction,
  learned_perplexity: positive,
  static_perplexity: positive.nullable(),
});

export const reportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA_ID),
  moefy_version: z.string().min(1),
  model: z.object({
    id: z.string().min(1),
    family: z.string().min(1),
    /** Resolved commit sha of the source checkpoint; null for a local directory without one. */
    source_sha: z.string().nullable(),
    layers: z.number().int().positive(),
    hidden: z.number().int().positive(),
    ffn_dim: z.number().int().positive(),
    /** Neurons per nested expert, ascending; the last equals ffn_dim. */
    expert_sizes: z.array(z.number().int().positive()).min(1),
  }),
  machine: z.object({
    cpu: z.string(),
    cores: z.number().int().positive(),
    ort_version: z.string(),
    threads: z.number().int().positive(),
  }),
  eval: z.object({
    text: z.string(),
    tokens: z.number().int().positive(),
    seq_len: z.number().int().positive(),
  }),
  points: z.array(pointSchema).min(1),
  pareto: z.object({
    /** Compute axis of the Pareto test (lower compute and lower perplexity dominate). */
    compute: z.literal('flops_fraction'),
    /** Kinds that compete for the frontier; oracle is excluded, it needs the true targets. */
    kinds: z.array(z.enum(POINT_KINDS)),
    learned_vs_static: z.array(comparisonSchema),
  }),
});

export type Report = z.infer<typeof reportSchema>;
export type Point = Report['points'][number];
export type Latency = z.infer<typeof latencySchema>;
export type ParetoSection = Report['pareto'];
export type LearnedVsStatic = ParetoSection['learned_vs_static'][number];
