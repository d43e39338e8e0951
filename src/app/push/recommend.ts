/**
 * The operating point the model card recommends, by the guide's rule ("Picking a threshold"): among measured
 * learned points whose perplexity is within the recipe's `check.max_ppl_ratio` of dense, the cheapest by
 * whole-model FLOPs (ties: the larger threshold). report.json has no recommended point yet, so the card computes it
 * here and says so; null when no learned point is within the tolerance.
 */
import type { Point, Report } from '../../report/types.js';

export interface Recommendation {
  readonly point: Point & { readonly threshold: number };
  readonly dense: Point;
  readonly maxPplRatio: number;
}

export function recommendPoint(report: Report, maxPplRatio: number): Recommendation | null {
  const dense = report.points.find((p) => p.kind === 'dense');
  if (!dense) return null;
  const within = report.points.filter(
    (p): p is Point & { threshold: number } =>
      p.kind === 'learned' && p.threshold !== null && p.perplexity <= dense.perplexity * maxPplRatio,
  );
  const best = within.sort((a, b) => a.flops_fraction - b.flops_fraction || b.threshold - a.threshold)[0];
  return best ? { point: best, dense, maxPplRatio } : null;
}
