/**
 * Report vs baseline → Verdict. Quality may not get worse by more than a ratio, realized compute may not drift
 * either way by more than a delta (a cheaper model is a changed model too), latency only when asked for, and a
 * point the baseline has must still be measured.
 */
import type { Point, Report } from '../report/types.js';
import { InputError } from '../util/errors.js';
import type { Baseline, BaselinePoint } from './baseline.js';
import { pointKey } from './point-key.js';
import { taskChecks } from './task-checks.js';
import type { MetricCheck, PointCheck, Tolerances, Verdict } from './verdict.js';

export interface CompareInput {
  readonly report: Report;
  readonly baseline: Baseline;
  readonly tolerances: Tolerances;
}

type Measured = Pick<Point, keyof BaselinePoint>;

export function compareReports({ report, baseline, tolerances: asked }: CompareInput): Verdict {
  assertSameShape(report, baseline);
  // The verdict states what was applied: with no task in the baseline, tasks were not gated.
  const tolerances = baseline.tasks?.length ? asked : { ...asked, max_task_drop_se: null };
  const current = new Map(report.points.map((p) => [pointKey(p), p]));
  const known = new Set(baseline.points.map((p) => pointKey(p)));
  const points: PointCheck[] = [
    ...baseline.points.map((b) => checkPoint(b, current.get(pointKey(b)), tolerances)),
    ...report.points.filter((p) => !known.has(pointKey(p))).map((p) => describePoint(p, 'new', [])),
  ];
  const metrics = points.flatMap((p) => p.metrics);
  const counts = {
    points: points.length,
    metrics: metrics.length,
    failed_metrics: metrics.filter((m) => !m.pass).length,
    missing_points: points.filter((p) => p.status === 'missing').length,
    new_points: points.filter((p) => p.status === 'new').length,
  };
  const pass = counts.failed_metrics === 0 && counts.missing_points === 0;
  return { pass, tolerances, points, notes: identityNotes(report, baseline), counts };
}

/** Comparing different architectures or expert grids would match points that mean different things. */
function assertSameShape(report: Report, baseline: Baseline): void {
  for (const field of ['family', 'layers', 'hidden', 'ffn_dim', 'expert_sizes'] as const) {
    const [was, is] = [JSON.stringify(baseline.model[field]), JSON.stringify(report.model[field])];
    if (was !== is) {
      throw new InputError(
        `baseline model.${field} is ${was} but the report's is ${is}: this baseline belongs to another model or expert grid; write a new one with --update-baseline`,
      );
    }
  }
}

function identityNotes(report: Report, baseline: Baseline): string[] {
  const pairs: [string, unknown, unknown][] = [
    ['model.id', baseline.model.id, report.model.id],
    ['model.source_sha', baseline.model.source_sha, report.model.source_sha],
    ['eval.text', baseline.eval.text, report.eval.text],
    ['eval.tokens', baseline.eval.tokens, report.eval.tokens],
    ['eval.seq_len', baseline.eval.seq_len, report.eval.seq_len],
  ];
  return [
    ...pairs
      .filter(([, was, is]) => was !== is)
      .map(([field, was, is]) => `${field} changed: ${String(was)} → ${String(is)}`),
    ...taskNotes(report, baseline),
  ];
}

/** A task scored on other data, or on another number of samples, measures something else. */
function taskNotes(report: Report, baseline: Baseline): string[] {
  const now = new Map((report.tasks ?? []).map((t) => [t.name, t]));
  return (baseline.tasks ?? []).flatMap((was) => {
    const is = now.get(was.name);
    if (!is) return [];
    return [
      ...(was.dataset_sha === is.dataset_sha
        ? []
        : [`task ${was.name} data changed: ${was.dataset} → ${is.dataset}`]),
      ...(was.samples === is.samples
        ? []
        : [`task ${was.name} samples changed: ${was.samples} → ${is.samples}`]),
    ];
  });
}

function checkPoint(base: BaselinePoint, now: Measured | undefined, t: Tolerances): PointCheck {
  if (now === undefined) return describePoint(base, 'missing', []);
  const metrics: MetricCheck[] = [
    ratioCheck('perplexity', base.perplexity, now.perplexity, t.max_ppl_ratio),
    deltaCheck('flops_fraction', base.flops_fraction, now.flops_fraction, t.max_compute_delta),
    deltaCheck('ffn_fraction', base.ffn_fraction, now.ffn_fraction, t.max_compute_delta),
    ...latencyChecks(base, now, t.max_latency_ratio),
    ...(t.max_task_drop_se == null ? [] : taskChecks(base.tasks, now.tasks, t.max_task_drop_se)),
  ];
  return describePoint(base, metrics.every((m) => m.pass) ? 'pass' : 'fail', metrics);
}

/** Noisy CI machines make latency opt-in; a baseline point timed but a current one not is a failure. */
function latencyChecks(base: BaselinePoint, now: Measured, limit: number | null): MetricCheck[] {
  if (limit === null || base.latency === null) return [];
  const prefill = ratioCheck('prefill_ms', base.latency.prefill_ms, now.latency?.prefill_ms ?? null, limit);
  // Throughput: a slowdown is baseline / current, so the same "above 1 is worse" limit applies.
  const decode = ratioCheck(
    'decode_tokens_per_s',
    base.latency.decode_tokens_per_s,
    now.latency?.decode_tokens_per_s ?? null,
    limit,
    { inverse: true },
  );
  return [prefill, decode];
}

function ratioCheck(
  metric: MetricCheck['metric'],
  baseline: number,
  current: number | null,
  limit: number,
  opts: { inverse?: boolean } = {},
): MetricCheck {
  const change = current === null ? null : opts.inverse ? baseline / current : current / baseline;
  return {
    metric,
    baseline,
    current,
    rule: 'ratio',
    change,
    limit,
    pass: change !== null && change <= limit,
  };
}

function deltaCheck(
  metric: MetricCheck['metric'],
  baseline: number,
  current: number,
  limit: number,
): MetricCheck {
  const change = current - baseline;
  return { metric, baseline, current, rule: 'delta', change, limit, pass: Math.abs(change) <= limit };
}

function describePoint(p: BaselinePoint, status: PointCheck['status'], metrics: MetricCheck[]): PointCheck {
  return { point: pointKey(p), kind: p.kind, threshold: p.threshold, expert: p.expert, status, metrics };
}
