/**
 * "What should I deploy?": the report's recommended point (chosen by eval/recommend.ts, stored in report.json), the
 * threshold the fixed-operating-point graphs carry, and the speed of the recommended point. Formatting only.
 */
import { percent, perplexity, signedPercentChange } from './format.js';
import { speedSentence } from './speed.js';
import type { Point, Recommended, Report } from './types.js';

/** The files that carry `output.fixed_threshold` as a constant. */
const FIXED_GRAPHS = '`model_fixed.onnx` and `onnx/model.onnx`';

export function recommendedPoint(report: Report): Point | undefined {
  const r = report.recommended;
  if (!r) return undefined;
  return report.points.find((p) => p.kind === r.kind && (r.kind === 'dense' || p.threshold === r.threshold));
}

/** "+2%" from 0.02. */
export function tolerance(r: Recommended): string {
  return `+${Number((r.max_ppl_increase * 100).toPrecision(4))}%`;
}

function headline(r: Recommended, dense: Point): string {
  const rule = `the cheapest measured point within the tolerance of ${tolerance(r)} perplexity (\`report.max_ppl_increase\`)`;
  if (r.kind === 'dense')
    return (
      `**Recommended: the dense model.** No learned threshold within ${tolerance(r)} perplexity ` +
      `(\`report.max_ppl_increase\`) uses fewer FLOPs than dense; raise the tolerance, or improve the routers.`
    );
  return (
    `**Recommended: threshold ${r.threshold}** (learned routing): ${percent(r.ffn_fraction)} FFN, ` +
    `${percent(r.flops_fraction)} FLOPs, perplexity ${perplexity(r.perplexity)} ` +
    `(${signedPercentChange(r.perplexity, dense.perplexity)} vs dense ${perplexity(dense.perplexity)}), ${rule}.`
  );
}

/** Which threshold the fixed graphs carry, and what to do when it is not the recommended one. */
function fixedSentence(report: Report): string {
  const fixed = report.fixed_threshold;
  if (fixed === null || fixed === undefined) return '';
  const r = report.recommended;
  const baked = `${FIXED_GRAPHS} have threshold ${fixed} baked in (\`output.fixed_threshold\`)`;
  if (!r || r.kind !== 'learned') return `${capitalize(baked)}.`;
  if (r.threshold === fixed)
    return `Run \`model.onnx\` with \`router_threshold\` = ${fixed}, or ${baked}: the recommended point.`;
  return (
    `Run \`model.onnx\` with \`router_threshold\` = ${r.threshold}. ${capitalize(baked)}, not the recommended ` +
    `${r.threshold}: set \`output.fixed_threshold: ${r.threshold}\` in the recipe and run \`moefy convert --force\` ` +
    '(every stage and the evaluation come from the cache).'
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The "Recommendation" section of report.md: the point, the fixed graphs, its measured speed. */
export function recommendationParagraphs(report: Report): string[] {
  const dense = report.points.find((p) => p.kind === 'dense');
  const r = report.recommended;
  if (!dense || !r) return ['No dense point in this report, so no recommendation.'];
  const point = recommendedPoint(report);
  const speed = r.kind === 'learned' ? speedSentence(point, report) : '';
  return [
    `${headline(r, dense)} Chosen on the evaluation text itself: on fresh text it may land a little higher.`,
    fixedSentence(report),
    speed && `**Speed at threshold ${r.threshold}:** ${speed}`,
  ].filter((p) => p !== '');
}
