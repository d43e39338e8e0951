/** What `moefy check` decided, metric by metric: the one structure the table, JSON and annotations render. */
import type { TaskMetricName } from '../report/task-types.js';
import type { PointKind } from '../report/types.js';

/** A task's metric as checks name it: `hellaswag acc_norm`. */
export type TaskMetricLabel = `${string} ${TaskMetricName}`;

/** The recipe's `check` section (structurally; regress does not depend on the recipe loader). */
export interface Tolerances {
  /** Allowed current / baseline perplexity. */
  readonly max_ppl_ratio: number;
  /** Allowed |current − baseline| of flops_fraction and ffn_fraction. */
  readonly max_compute_delta: number;
  /** Allowed slowdown ratio of prefill time and decode time per token; null: latency is not gated. */
  readonly max_latency_ratio: number | null;
  /** Allowed worsening of a task metric, in standard errors of the difference; null or absent: not gated. */
  readonly max_task_drop_se?: number | null;
  /** Allowed report.threshold0_ppl_increase (`experts.adapt: joint`); absent: not gated. */
  readonly max_threshold0_increase?: number;
}

export const METRICS = [
  'perplexity',
  'flops_fraction',
  'ffn_fraction',
  'prefill_ms',
  'decode_tokens_per_s',
] as const;
export type MetricName = (typeof METRICS)[number];

export interface MetricCheck {
  /** A report metric, or a task's (`hellaswag acc_norm`). */
  readonly metric: MetricName | TaskMetricLabel;
  readonly baseline: number;
  /** null when the report has no figure for it (a point measured without latency). */
  readonly current: number | null;
  /**
   * `ratio`: current / baseline, except decode throughput where it is baseline / current, so above 1 is always
   * worse. `delta`: current − baseline, checked by absolute value. `stderr`: (current − baseline) in standard
   * errors of the difference, signed so that negative is worse (task-checks.ts).
   */
  readonly rule: 'ratio' | 'delta' | 'stderr';
  readonly change: number | null;
  readonly limit: number;
  readonly pass: boolean;
}

/** `missing`: the baseline has the point, the report does not (a failure); `new`: the reverse (information). */
export type PointStatus = 'pass' | 'fail' | 'missing' | 'new';

export interface PointCheck {
  /** `learned t=0.1`, `static expert 2`, `dense`. */
  readonly point: string;
  readonly kind: PointKind;
  readonly threshold: number | null;
  readonly expert: number | null;
  readonly status: PointStatus;
  readonly metrics: readonly MetricCheck[];
}

export interface Verdict {
  readonly pass: boolean;
  readonly tolerances: Tolerances;
  readonly points: readonly PointCheck[];
  /** Differences that are not regressions but change what the numbers mean (source commit, eval text). */
  readonly notes: readonly string[];
  readonly counts: {
    readonly points: number;
    readonly metrics: number;
    readonly failed_metrics: number;
    readonly missing_points: number;
    readonly new_points: number;
  };
}

/** `learned t=0.1 perplexity` for every failed metric, then `static expert 3 (missing)` for missing points. */
export function failureLabels(verdict: Verdict): string[] {
  return verdict.points.flatMap((p) => {
    if (p.status === 'missing') return [`${p.point} (missing)`];
    return p.metrics.filter((m) => !m.pass).map((m) => `${p.point} ${m.metric}`);
  });
}
