/**
 * What `moefy check` prints: the rows worth reading (failures, missing and new points; every compared metric with
 * `verbose`), the notes, and on a pass the one-line summary. A failure's summary is the error moefy exits with,
 * printed once on stderr, so it is not repeated here.
 */
import {
  failureLabels,
  type MetricCheck,
  type PointCheck,
  type Tolerances,
  type Verdict,
} from './verdict.js';

const HEADER = ['point', 'metric', 'baseline', 'current', 'change', 'limit', 'status'];
const DASH = '—';

/** Perplexity reads best with 5 significant digits, fractions (and task accuracies) with 4 decimals, timings with 2. */
function value(metric: MetricCheck['metric'], v: number | null): string {
  if (v === null) return DASH;
  if (metric === 'perplexity' || metric.endsWith(' perplexity')) return v.toPrecision(5);
  if (metric === 'flops_fraction' || metric === 'ffn_fraction' || metric.includes(' acc'))
    return v.toFixed(4);
  return v.toFixed(2);
}

function change(m: MetricCheck): string {
  if (m.change === null) return DASH;
  if (m.rule === 'ratio') return `×${m.change.toFixed(3)}`;
  if (m.rule === 'stderr') return `${m.change >= 0 ? '+' : ''}${m.change.toFixed(2)} se`;
  return `${m.change >= 0 ? '+' : ''}${m.change.toFixed(4)}`;
}

function limit(m: MetricCheck): string {
  if (m.rule === 'stderr') return `≥ −${m.limit} se`;
  return m.rule === 'ratio' ? `≤ ×${m.limit.toFixed(3)}` : `± ${m.limit.toFixed(4)}`;
}

function rows(p: PointCheck): string[][] {
  if (p.status === 'missing') return [[p.point, DASH, 'measured', 'absent', DASH, DASH, 'FAIL (missing)']];
  if (p.status === 'new') return [[p.point, DASH, 'absent', 'measured', DASH, DASH, 'new']];
  return p.metrics.map((m) => [
    p.point,
    m.metric,
    value(m.metric, m.baseline),
    value(m.metric, m.current),
    change(m),
    limit(m),
    m.pass ? 'ok' : 'FAIL',
  ]);
}

function alignColumns(table: string[][]): string[] {
  const widths = HEADER.map((_, c) => Math.max(...table.map((r) => (r[c] ?? '').length)));
  return table.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

export function describeTolerances(t: Tolerances): string {
  const latency = t.max_latency_ratio === null ? 'latency not gated' : `latency ≤ ×${t.max_latency_ratio}`;
  const tasks = t.max_task_drop_se == null ? '' : `, tasks ≥ −${t.max_task_drop_se} se`;
  return `perplexity ≤ ×${t.max_ppl_ratio}, compute ± ${t.max_compute_delta}, ${latency}${tasks}`;
}

/** `PASS: …` or `FAIL: … regressed: learned t=0.1 perplexity, …`. */
export function verdictSummary(v: Verdict): string {
  const { counts } = v;
  const added = counts.new_points > 0 ? `, ${counts.new_points} new point(s)` : '';
  if (v.pass) {
    return `PASS: ${counts.metrics} checks on ${counts.points - counts.new_points} points within tolerance (${describeTolerances(v.tolerances)})${added}`;
  }
  return `FAIL: ${failureSummary(v)}`;
}

/** `1 regression(s) (tolerances): learned t=0.1 perplexity, …` — the exit-1 message. */
export function failureSummary(v: Verdict): string {
  const failures = failureLabels(v);
  return `${failures.length} regression(s) (${describeTolerances(v.tolerances)}): ${failures.join(', ')}`;
}

export function formatDiffTable(verdict: Verdict, opts: { verbose?: boolean } = {}): string {
  const body = verdict.points.flatMap(rows).filter((r) => opts.verbose === true || r.at(-1) !== 'ok');
  const table = body.length > 0 ? alignColumns([HEADER, ...body]) : [];
  const tail = [
    ...verdict.notes.map((n) => `note: ${n}`),
    ...(verdict.pass ? [verdictSummary(verdict)] : []),
  ];
  return [...table, ...(table.length > 0 && tail.length > 0 ? [''] : []), ...tail].join('\n');
}
