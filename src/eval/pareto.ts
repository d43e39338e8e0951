/**
 * Pareto marking and curve interpolation for the report: which operating points are worth deploying, and what a
 * static slice would cost at a learned point's width.
 */
import type { ParetoSection, Point, PointKind } from '../report/types.js';

export interface CurvePoint {
  x: number;
  y: number;
}

/** Kinds competing for the frontier: oracle routing needs the true targets, so it is a ceiling, not a choice. */
export const PARETO_KINDS: readonly PointKind[] = ['dense', 'learned', 'static'];

/** Points with equal x collapse to their lowest y (the best measurement at that compute); sorted by x. */
function normalize(curve: readonly CurvePoint[]): CurvePoint[] {
  const best = new Map<number, number>();
  for (const { x, y } of curve) best.set(x, Math.min(y, best.get(x) ?? Infinity));
  return [...best].map(([x, y]) => ({ x, y })).sort((a, b) => a.x - b.x);
}

/** Linear interpolation of y at x; null outside the curve's x range (no extrapolation). */
export function interpolateAt(curve: readonly CurvePoint[], x: number): number | null {
  const sorted = normalize(curve);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (!first || !last || x < first.x || x > last.x) return null;
  const right = sorted.findIndex((p) => p.x >= x);
  const b = sorted[right]!;
  if (b.x === x || right === 0) return b.y;
  const a = sorted[right - 1]!;
  return a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x);
}

/**
 * flags[i] is true iff no other candidate has compute ≤ and perplexity ≤ candidate i's with one of them strictly
 * lower. Identical points do not dominate each other, so a tie stays on the frontier.
 */
export function paretoFlags(candidates: readonly { compute: number; perplexity: number }[]): boolean[] {
  return candidates.map((p) =>
    candidates.every(
      (q) =>
        !(
          q.compute <= p.compute &&
          q.perplexity <= p.perplexity &&
          (q.compute < p.compute || q.perplexity < p.perplexity)
        ),
    ),
  );
}

export type PointMeasurement = Omit<Point, 'pareto'>;

/** Static slices plus dense (the full-width slice), as perplexity over FFN fraction. */
function staticCurve(points: readonly PointMeasurement[]): CurvePoint[] {
  return points
    .filter((p) => p.kind === 'static' || p.kind === 'dense')
    .map((p) => ({ x: p.ffn_fraction, y: p.perplexity }));
}

/** The measured static slice (dense as the full width) with the least FFN fraction ≥ `compute`; null if none. */
function staticAtOrAbove(
  points: readonly PointMeasurement[],
  compute: number,
): { expert: number; ffn_fraction: number; perplexity: number } | null {
  const above = points
    .filter((p) => (p.kind === 'static' || p.kind === 'dense') && p.ffn_fraction >= compute)
    .sort((a, b) => a.ffn_fraction - b.ffn_fraction || a.perplexity - b.perplexity)[0];
  if (!above) return null;
  const expert = above.expert ?? above.expert_histogram.length - 1;
  return { expert, ffn_fraction: above.ffn_fraction, perplexity: above.perplexity };
}

/** Marks the Pareto points (on whole-model FLOPs) and compares each learned point with the static curve. */
export function withPareto(measured: readonly PointMeasurement[]): {
  points: Point[];
  pareto: ParetoSection;
} {
  const competing = measured.filter((p) => PARETO_KINDS.includes(p.kind));
  const flags = paretoFlags(competing.map((p) => ({ compute: p.flops_fraction, perplexity: p.perplexity })));
  const onFrontier = new Set(competing.filter((_, i) => flags[i]));
  const points = measured.map((p) => ({ ...p, pareto: onFrontier.has(p) }));
  const curve = staticCurve(measured);
  const learned_vs_static = measured
    .filter((p) => p.kind === 'learned' && p.threshold !== null)
    .sort((a, b) => a.threshold! - b.threshold!)
    .map((p) => {
      const compute = p.ffn_router_fraction ?? p.ffn_fraction;
      return {
        threshold: p.threshold!,
        ffn_fraction: p.ffn_fraction,
        ffn_router_fraction: compute,
        learned_perplexity: p.perplexity,
        static_perplexity: interpolateAt(curve, compute),
        static_at_or_above: staticAtOrAbove(measured, compute),
      };
    });
  return { points, pareto: { compute: 'flops_fraction', kinds: [...PARETO_KINDS], learned_vs_static } };
}
