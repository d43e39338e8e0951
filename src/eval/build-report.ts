/** Assembles report.json's object from the sweep's measurements and what the run knows about itself. */
import { availableParallelism, cpus } from 'node:os';
import type { Precision } from '../ir/precision.js';
import { runtimeVersion } from '../runtime/version.js';
import type { TaskInfo } from '../report/task-types.js';
import { REPORT_SCHEMA_ID, type Report, type Skipped, type Timing } from '../report/types.js';
import { REQUIRED_CONFIDENCE } from './latency-stats.js';
import type { LatencySettings } from './eval-model.js';
import { type PointMeasurement, withPareto } from './pareto.js';
import { recommendPoint } from './recommend.js';

export interface ReportContext {
  readonly version: string;
  readonly model: Report['model'];
  readonly eval: Report['eval'];
  /** The ORT intra-op threads asked for; 0 = the runtime default. */
  readonly threads: number;
  /** How latency was measured; null when nothing was timed. */
  readonly latency: LatencySettings | null;
  /** Perplexity increase over dense the recommended point may cost (recipe `report.max_ppl_increase`). */
  readonly maxPplIncrease: number;
  /** Threshold baked into the fixed-operating-point graphs; null when the directory has none. */
  readonly fixedThreshold: number | null;
  /** The downstream tasks the points were scored on; none: the report has no `tasks`. */
  readonly tasks?: readonly TaskInfo[];
  /** Measurements the recipe asks for that this evaluation could not take, each with its reason. */
  readonly skipped?: readonly Skipped[];
}

/** The measurements of one more precision (its dense and learned points). */
export interface PrecisionMeasurement {
  readonly dtype: Precision;
  readonly points: readonly PointMeasurement[];
}

export function buildReport(
  ctx: ReportContext,
  measured: readonly PointMeasurement[],
  precisions: readonly PrecisionMeasurement[] = [],
): Report {
  const { points, pareto } = withPareto(measured);
  return {
    schema: REPORT_SCHEMA_ID,
    moefy_version: ctx.version,
    model: ctx.model,
    machine: machineSection(ctx.threads),
    eval: ctx.eval,
    points,
    pareto,
    timing: timingSection(ctx.latency),
    recommended: recommendPoint(points, ctx.maxPplIncrease),
    fixed_threshold: ctx.fixedThreshold,
    threshold0_ppl_increase: threshold0Increase(points),
    ...(ctx.tasks && ctx.tasks.length > 0 && { tasks: [...ctx.tasks] }),
    ...(ctx.skipped && ctx.skipped.length > 0 && { skipped: [...ctx.skipped] }),
    ...(precisions.length > 0 && {
      precisions: precisions.map((p) => ({ dtype: p.dtype, points: withPareto(p.points).points })),
    }),
  };
}

function threshold0Increase(points: Report['points']): number | null {
  const dense = points.find((p) => p.kind === 'dense');
  const zero = points.find((p) => p.kind === 'learned' && p.threshold === 0);
  return dense && zero ? zero.perplexity / dense.perplexity - 1 : null;
}

function timingSection(latency: LatencySettings | null): Timing | null {
  if (!latency) return null;
  return {
    reference: 'dense',
    repeats: latency.repeats,
    prompt_tokens: latency.seq,
    decode_tokens: Math.max(1, latency.decodeTokens),
    required_confidence: REQUIRED_CONFIDENCE,
  };
}

/** ORT's default intra-op pool uses every core, so 0 is recorded as the core count the process may use. */
function machineSection(threads: number): Report['machine'] {
  const cores = availableParallelism();
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores,
    ort_version: runtimeVersion(),
    threads: threads > 0 ? threads : cores,
  };
}
