/**
 * The operating point report.md recommends, by the guide's "Picking a threshold" rule: decide the perplexity
 * increase you accept, then take the cheapest measured learned point within it. Cheapest is whole-model FLOPs (the
 * router included), the figure the Pareto marks use; ties go to the lower perplexity. When no learned point within
 * the tolerance costs less than dense (threshold 0 alone qualifies, and its router is pure overhead), the
 * recommendation is the dense model.
 */
import type { Point, Recommended } from '../report/types.js';

export function recommendPoint(points: readonly Point[], maxPplIncrease: number): Recommended | null {
  const dense = points.find((p) => p.kind === 'dense');
  if (!dense) return null;
  const increase = (p: Point) => p.perplexity / dense.perplexity - 1;
  const within = points
    .filter((p) => p.kind === 'learned' && increase(p) <= maxPplIncrease)
    .sort((a, b) => a.flops_fraction - b.flops_fraction || a.perplexity - b.perplexity);
  const best = within[0];
  const chosen = best && best.flops_fraction < dense.flops_fraction ? best : dense;
  return {
    kind: chosen.kind === 'learned' ? 'learned' : 'dense',
    threshold: chosen.kind === 'learned' ? chosen.threshold : null,
    max_ppl_increase: maxPplIncrease,
    ffn_fraction: chosen.ffn_fraction,
    flops_fraction: chosen.flops_fraction,
    perplexity: chosen.perplexity,
    ppl_increase: increase(chosen),
  };
}
