/**
 * The report.json contract (DESIGN.md §2, documented field by field in docs/report-format.md). Other tools and CI
 * read it: extend, never rename. The zod schema is the single source of truth; its key order is also the order
 * json.ts writes.
 */
import { z } from 'zod';
import { PRECISIONS } from '../ir/precision.js';
import { pointTasksSchema, taskInfoSchema } from './task-types.js';

export const REPORT_SCHEMA_ID = 'moefy.report/1';

/** How a point routes tokens: the dense graph, the trained router, a fixed width, or the router's true targets. */
export const POINT_KINDS = ['dense', 'learned', 'static', 'oracle'] as const;
export type PointKind = (typeof POINT_KINDS)[number];

const fraction = z.number().min(0).max(1);
const positive = z.number().positive();
const count = z.number().int().nonnegative();

/** What the interval of a paired speedup says (latency-stats.ts): only an interval that excludes 1 is a verdict. */
const SPEEDUP_VERDICTS = ['faster', 'slower', 'no-difference'] as const;

/**
 * A speedup over the dense graph from paired, interleaved repeats: the median per-repeat ratio (above 1 is
 * faster) and a distribution-free interval for it with its exact coverage.
 */
const speedupSchema = z.object({
  ratio: positive,
  low: positive,
  high: positive,
  confidence: fraction,
  verdict: z.enum(SPEEDUP_VERDICTS),
});

const latencySchema = z.object({
  prefill_ms: positive,
  /** Half the min-max range of the repeats, in ms: how far one measurement may be trusted. */
  prefill_ms_spread: z.number().nonnegative().optional(),
  decode_tokens_per_s: positive,
  decode_tokens_per_s_spread: z.number().nonnegative().optional(),
  /** Against dense, timed in the same rounds; null on the dense point itself. Absent in older reports. */
  prefill_speedup: speedupSchema.nullable().optional(),
  decode_speedup: speedupSchema.nullable().optional(),
});

const pointSchema = z.object({
  kind: z.enum(POINT_KINDS),
  /** learned/oracle: the router_threshold; null otherwise. */
  threshold: z.number().nonnegative().nullable(),
  /** static: 0-based index into model.expert_sizes; null otherwise. */
  expert: count.nullable(),
  ffn_fraction: fraction,
  /**
   * (FFN MACs used + router MACs) / dense FFN MACs: the honest compute axis of routed points (learned routing pays
   * for its router; the oracle's comparison is not counted). Equals ffn_fraction for dense and static points.
   * Absent from reports written before it existed.
   */
  ffn_router_fraction: z.number().nonnegative().optional(),
  /** Whole-model MACs over dense; above 1 when the router costs more than it saves (threshold 0). */
  flops_fraction: z.number().nonnegative(),
  perplexity: positive,
  accuracy: fraction,
  ffn_fraction_per_layer: z.array(fraction),
  expert_histogram: z.array(count),
  latency: latencySchema.nullable(),
  pareto: z.boolean(),
  /** Downstream task scores at this operating point (task-types.ts); absent when the evaluation ran no tasks. */
  tasks: pointTasksSchema.optional(),
});

/**
 * For each learned point: static slicing at the same compute. `static_perplexity` interpolates linearly between
 * the two measured static slices around the learned point's ffn_router_fraction (null outside their range): a
 * straight line under-states a convex curve's cost, so `static_at_or_above` also gives the measured static slice
 * with the least compute at or above that fraction, which the learned point must beat with no interpolation.
 */
const comparisonSchema = z.object({
  threshold: z.number().nonnegative(),
  ffn_fraction: fraction,
  /** Absent from reports written before it existed. */
  ffn_router_fraction: z.number().nonnegative().optional(),
  learned_perplexity: positive,
  static_perplexity: positive.nullable(),
  static_at_or_above: z
    .object({ expert: count, ffn_fraction: fraction, perplexity: positive })
    .nullable()
    .optional(),
});

/** How latency was measured: the protocol behind every point's `latency`. */
const timingSchema = z.object({
  /** The graph every speedup is relative to. */
  reference: z.literal('dense'),
  /** Timed rounds after one warm-up; each round runs every timed graph once, in rotating order. */
  repeats: z.number().int().positive(),
  prompt_tokens: z.number().int().positive(),
  decode_tokens: z.number().int().nonnegative(),
  /** Coverage an interval must reach for a speedup to be called faster or slower. */
  required_confidence: fraction,
});

/**
 * The operating point to deploy: the cheapest measured learned point (lowest flops_fraction) whose perplexity is
 * within `max_ppl_increase` of dense; dense itself when no learned point within it saves compute.
 */
const recommendedSchema = z.object({
  kind: z.enum(['dense', 'learned']),
  threshold: z.number().nonnegative().nullable(),
  /** The tolerance it was chosen under (recipe `report.max_ppl_increase`): 0.02 = +2% perplexity. */
  max_ppl_increase: z.number().nonnegative(),
  ffn_fraction: fraction,
  flops_fraction: z.number().nonnegative(),
  perplexity: positive,
  /** perplexity / dense perplexity − 1. */
  ppl_increase: z.number(),
});

/**
 * One more precision of the same model (output.dtypes): its dense graph and its router graph at every threshold,
 * measured like `points` (same tokens, same compute accounting). `points` itself is the fp32 sweep.
 */
const precisionSchema = z.object({
  dtype: z.enum(PRECISIONS),
  points: z.array(pointSchema).min(1),
});

/** A measurement the recipe asks for that the evaluation left out, and why (e.g. no dense graph to time against). */
const skippedSchema = z.object({
  measurement: z.enum(['latency']),
  reason: z.string().min(1),
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
    /** The dense model's matrix and norm parameters (biases left out). Absent from older reports. */
    params: z.number().int().positive().optional(),
    /**
     * Parameters the MoE graph stores beyond the dense model's for adapted experts (`experts.adapt`): disk and RAM,
     * not compute. 0 for bare prefixes; absent from older reports.
     */
    adapted_params: z.number().int().nonnegative().optional(),
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
  /** null when nothing was timed (`--no-latency`). Absent in reports of moefy before 0.2. */
  timing: timingSchema.nullable().optional(),
  /** null when the report has no dense point to measure the tolerance against. */
  recommended: recommendedSchema.nullable().optional(),
  /** The threshold baked into model_fixed.onnx and onnx/model.onnx (recipe `output.fixed_threshold`). */
  fixed_threshold: z.number().nonnegative().nullable().optional(),
  /**
   * Learned threshold 0 (every token on the full expert) perplexity / dense perplexity − 1: 0 up to rounding unless
   * `experts.adapt: joint` refitted the shared down projection. null without both points; absent in older reports.
   */
  threshold0_ppl_increase: z.number().nullable().optional(),
  /** The downstream tasks every point was scored on, in order; absent when the evaluation ran none. */
  tasks: z.array(taskInfoSchema).optional(),
  /** Absent in reports of conversions that wrote only fp32 graphs. */
  precisions: z.array(precisionSchema).optional(),
  /** Absent when everything the recipe asks for was measured. */
  skipped: z.array(skippedSchema).optional(),
});

export type Report = z.infer<typeof reportSchema>;
export type Point = Report['points'][number];
export type Latency = z.infer<typeof latencySchema>;
export type Speedup = z.infer<typeof speedupSchema>;
export type Timing = z.infer<typeof timingSchema>;
export type Recommended = z.infer<typeof recommendedSchema>;
export type ParetoSection = Report['pareto'];
export type LearnedVsStatic = ParetoSection['learned_vs_static'][number];
export type PrecisionSection = z.infer<typeof precisionSchema>;
export type Skipped = z.infer<typeof skippedSchema>;
