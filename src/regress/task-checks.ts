/**
 * Task metrics of one operating point against the baseline's, in standard errors: a metric fails when it is worse
 * than the baseline by more than `limit` standard errors of the difference, √(se_baseline² + se_current²) (two
 * independent estimates of the same mean). Accuracy worse = lower, perplexity worse = higher; a better figure always
 * passes. With both standard errors 0 (every sample agrees), any worsening fails. A task the baseline scored but the
 * report lacks fails (current null).
 */
import {
  higherIsBetter,
  TASK_METRIC_NAMES,
  type TaskMetricName,
  type TaskScores,
} from '../report/task-types.js';
import type { MetricCheck } from './verdict.js';

/** Signed distance in standard errors, negative = worse. */
function distance(metric: TaskMetricName, base: TaskScores, now: TaskScores): number {
  const diff = (now[metric]! - base[metric]!) * (higherIsBetter(metric) ? 1 : -1);
  const se = Math.hypot(base[`${metric}_stderr`] ?? 0, now[`${metric}_stderr`] ?? 0);
  if (se > 0) return diff / se;
  return diff === 0 ? 0 : diff > 0 ? Infinity : -Infinity;
}

export function taskChecks(
  baseline: Readonly<Record<string, TaskScores>> | undefined,
  current: Readonly<Record<string, TaskScores>> | undefined,
  limit: number,
): MetricCheck[] {
  return Object.entries(baseline ?? {}).flatMap(([task, base]) =>
    TASK_METRIC_NAMES.filter((m) => base[m] !== undefined).map((metric): MetricCheck => {
      const now = current?.[task];
      const value = now?.[metric];
      const change = now && value !== undefined ? distance(metric, base, now) : null;
      return {
        metric: `${task} ${metric}`,
        baseline: base[metric]!,
        current: value ?? null,
        rule: 'stderr' as const,
        change,
        limit,
        pass: change !== null && change >= -limit,
      };
    }),
  );
}
