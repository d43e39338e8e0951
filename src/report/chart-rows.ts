/**
 * The chart's data: one row per point with everything any panel plots, in display units (percent, ×). Threshold
 * labels are thinned where learned points crowd (two thresholds at the same FFN width would print on each other).
 */
import type { Point, PointKind, Report } from './types.js';

export const SERIES: Record<PointKind, string> = {
  learned: 'learned routing',
  static: 'static slice',
  oracle: 'oracle routing',
  dense: 'dense',
};
export const PARETO_LABEL = 'Pareto-optimal';
export const RECOMMENDED_LABEL = 'recommended';
const FIXED_LABEL = 'fixed graph';

export interface Row {
  series: string;
  ffn_pct: number;
  perplexity: number;
  /** Perplexity change against dense, in percent. */
  dppl_pct: number;
  pareto: string | null;
  /** Learned points: the threshold, plus "recommended" / "fixed graph" where they apply; else null. */
  label: string | null;
  /** `t=…` on the full-range panel, only for points above the near-dense panel's axis (it cannot show them). */
  label_full: string | null;
  marker: string | null;
  /** Prefill speedup against dense and its interval; null when untimed or for dense itself. */
  speedup: number | null;
  speedup_low: number | null;
  speedup_high: number | null;
  measurable: string | null;
}

/** The near-dense panel's axis runs to this many times the tolerance… */
const TOLERANCE_SPAN = 4;
/** …and at least to this perplexity change, in percent (for a zero tolerance). */
const MIN_TOP_PCT = 2;

/** Top of the near-dense panel's axis: Δppl percent. */
export function nearDenseTop(report: Report): number {
  const tolerancePct = (report.recommended?.max_ppl_increase ?? 0.02) * 100;
  return Math.max(tolerancePct * TOLERANCE_SPAN, MIN_TOP_PCT);
}

function pointLabel(p: Point, report: Report): { label: string | null; marker: string | null } {
  if (p.kind !== 'learned') return { label: null, marker: null };
  const r = report.recommended;
  const recommended = r?.kind === 'learned' && r.threshold === p.threshold;
  const fixed = report.fixed_threshold === p.threshold;
  const tags = [recommended ? RECOMMENDED_LABEL : null, fixed ? FIXED_LABEL : null].filter((t) => t !== null);
  const label = [`t=${p.threshold}`, ...tags].join(', ');
  return { label, marker: recommended ? RECOMMENDED_LABEL : fixed ? FIXED_LABEL : null };
}

export function chartRows(report: Report): Row[] {
  const dense = report.points.find((p) => p.kind === 'dense');
  const top = nearDenseTop(report);
  const rows = report.points.map((p): Row => {
    const s = p.latency?.prefill_speedup ?? null;
    const dppl = dense ? (p.perplexity / dense.perplexity - 1) * 100 : 0;
    const labels = pointLabel(p, report);
    return {
      series: SERIES[p.kind],
      // Routed points pay for their router: the x-axis is FFN + router compute (= FFN for dense and static).
      ffn_pct: (p.ffn_router_fraction ?? p.ffn_fraction) * 100,
      perplexity: p.perplexity,
      dppl_pct: dppl,
      pareto: p.pareto ? PARETO_LABEL : null,
      ...labels,
      label_full: labels.label !== null && dppl > top ? `t=${p.threshold}` : null,
      speedup: s?.ratio ?? null,
      speedup_low: s?.low ?? null,
      speedup_high: s?.high ?? null,
      measurable: s ? (s.verdict === 'no-difference' ? 'no measurable difference' : 'measurable') : null,
    };
  });
  thinNearDenseLabels(rows, top);
  return rows;
}

/** A label is about this wide and tall on the near-dense panel, in its axis units (% FFN; fraction of the top). */
const LABEL_BOX = { ffnPct: 9, heightShare: 0.06 };

/**
 * Where threshold labels would print on each other (t=0.02 and t=0 both at ~100% FFN and ~0%), keep the marked
 * ones (recommended, fixed graph) and then the lower thresholds; points above the axis have no label there.
 */
function thinNearDenseLabels(rows: Row[], top: number): void {
  const labelled = rows
    .filter((r) => r.label !== null)
    .sort((a, b) => Number(b.marker !== null) - Number(a.marker !== null) || b.dppl_pct - a.dppl_pct);
  const kept: Row[] = [];
  for (const r of labelled) {
    const clash = kept.some(
      (k) =>
        Math.abs(k.ffn_pct - r.ffn_pct) < LABEL_BOX.ffnPct &&
        Math.abs(k.dppl_pct - r.dppl_pct) < LABEL_BOX.heightShare * top,
    );
    if (r.dppl_pct > top || (clash && r.marker === null)) r.label = null;
    else kept.push(r);
  }
}
