/**
 * The operating point the model card recommends: report.json's `recommended` (the evaluation's choice under
 * `report.max_ppl_increase`, the one report.md names). Reports written before that field existed get the same rule
 * here ("Picking a threshold": among measured learned points within the recipe's `check.max_ppl_ratio` of dense,
 * the cheapest by whole-model FLOPs, ties to the larger threshold). null when no learned point qualifies.
 */
import type { Point, Report } from '../../report/types.js';

export interface Recommendation {
  readonly point: Point & { readonly threshold: number };
  readonly dense: Point;
  readonly maxPplRatio: number;
  /** Where the choice was made: report.json's `recommended`, or here for an older report. */
  readonly from: 'report' | 'push';
}

export function recommendPoint(report: Report, maxPplRatio: number): Recommendation | null {
  const dense = report.points.find((p) => p.kind === 'dense');
  if (!dense) return null;
  const chosen = report.recommended;
  if (chosen !== undefined && chosen !== null) {
    const point = report.points.find(
      (p): p is Point & { threshold: number } => p.kind === 'learned' && p.threshold === chosen.threshold,
    );
    if (chosen.kind !== 'learned' || !point) return null;
    return { point, dense, maxPplRatio: 1 + chosen.max_ppl_increase, from: 'report' };
  }
  const within = report.points.filter(
    (p): p is Point & { threshold: number } =>
      p.kind === 'learned' && p.threshold !== null && p.perplexity <= dense.perplexity * maxPplRatio,
  );
  const best = within.sort((a, b) => a.flops_fraction - b.flops_fraction || b.threshold - a.threshold)[0];
  return best ? { point: best, dense, maxPplRatio, from: 'push' } : null;
}
