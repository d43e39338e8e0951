/**
 * The "Learned vs static" paragraph of report.md: learned routing near half the FFN width against dense and against
 * a static slice of the same width (interpolated by eval into report.pareto; nothing is computed here). Speed is
 * the Recommendation's business (speed.ts): a bare ratio of two medians is not a measurement.
 */
import { percent, perplexity, signedPercentChange } from './format.js';
import type { LearnedVsStatic, Point, Report } from './types.js';

/** The operating point a reader asks about first: "what does half the FFN cost?". */
const HEADLINE_FFN_FRACTION = 0.5;

function headline(comparisons: readonly LearnedVsStatic[]): LearnedVsStatic | undefined {
  const withStatic = comparisons.filter((c) => c.static_perplexity !== null);
  const pool = withStatic.length > 0 ? withStatic : comparisons;
  const distance = (c: LearnedVsStatic): number => Math.abs(computeOf(c) - HEADLINE_FFN_FRACTION);
  return [...pool].sort((a, b) => distance(a) - distance(b) || a.threshold - b.threshold)[0];
}

/** FFN + router compute of a learned point (older reports: FFN alone). */
function computeOf(c: LearnedVsStatic): number {
  return c.ffn_router_fraction ?? c.ffn_fraction;
}

function staticSentence(c: LearnedVsStatic, dense: Point): string {
  const measured = c.static_at_or_above;
  if (measured) {
    const verdict = c.learned_perplexity < measured.perplexity ? 'better than' : 'not better than';
    return (
      `The measured static slice nearest at or above this compute (${percent(measured.ffn_fraction)} FFN): ppl ` +
      `${perplexity(measured.perplexity)}, ${signedPercentChange(measured.perplexity, dense.perplexity)} vs dense, ` +
      `so learned routing is ${verdict} it.`
    );
  }
  if (c.static_perplexity === null)
    return 'The static curve does not reach this width, so no static comparison.';
  const verdict = c.learned_perplexity < c.static_perplexity ? 'better than' : 'not better than';
  return (
    `A static slice at the same width (interpolated on the static curve): ppl ${perplexity(c.static_perplexity)}, ` +
    `${signedPercentChange(c.static_perplexity, dense.perplexity)} vs dense, so learned routing is ${verdict} ` +
    `static slicing here.`
  );
}

function computeLabel(c: LearnedVsStatic): string {
  if (c.ffn_router_fraction === undefined) return `${percent(c.ffn_fraction)} FFN`;
  return `${percent(c.ffn_router_fraction)} FFN + router compute (FFN alone ${percent(c.ffn_fraction)})`;
}

/** One paragraph of Markdown; says plainly when the report lacks the points to compare. */
export function summaryParagraph(report: Report): string {
  const dense = report.points.find((p) => p.kind === 'dense');
  const c = headline(report.pareto.learned_vs_static);
  if (!dense) return 'No dense point in this report, so no comparison against dense.';
  if (!c) return `No learned points in this report; dense perplexity is ${perplexity(dense.perplexity)}.`;
  const frontier = report.points.filter((p) => p.kind === 'learned' && p.pareto).length;
  return (
    `Learned routing at ${computeLabel(c)} (threshold ${c.threshold}): ppl ` +
    `${perplexity(c.learned_perplexity)}, ${signedPercentChange(c.learned_perplexity, dense.perplexity)} vs dense ` +
    `(${perplexity(dense.perplexity)}). ${staticSentence(c, dense)} ` +
    `${frontier} of ${report.pareto.learned_vs_static.length} learned points are Pareto-optimal.`
  );
}
