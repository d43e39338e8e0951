/**
 * The lines `moefy convert` and `moefy eval` print on stdout: one per threshold of the learned router, then what to
 * deploy (the recommended threshold), its speed against dense with the interval, and the fixed graphs' threshold.
 * Plain text (no Markdown), one fact per line, so CI logs stay greppable.
 */
import { DASH, percent, perplexity, signedPercentChange, speedupWithInterval } from './format.js';
import { recommendedPoint, tolerance } from './recommendation.js';
import { speedSentence } from './speed.js';
import type { Point, PrecisionSection, Report } from './types.js';

function thresholdLine(p: Point, dense: Point | undefined): string {
  const delta = dense ? signedPercentChange(p.perplexity, dense.perplexity) : DASH;
  const s = p.latency?.prefill_speedup;
  const speed = s ? speedupWithInterval(s) : DASH;
  return (
    // Routed points pay for their router: FFN+router is the compute they are compared by.
    `threshold ${String(p.threshold).padEnd(5)} FFN+router ${percent(p.ffn_router_fraction ?? p.ffn_fraction).padStart(6)}  ` +
    `FFN ${percent(p.ffn_fraction).padStart(6)}  ` +
    `FLOPs ${percent(p.flops_fraction).padStart(6)}  ppl ${perplexity(p.perplexity)} (${delta} vs dense)  ` +
    `prefill ${speed}`
  );
}

function recommendedLines(report: Report, dense: Point | undefined): string[] {
  const r = report.recommended;
  if (!r || !dense) return [];
  if (r.kind === 'dense')
    return [
      `recommended: the dense model (no learned threshold within ${tolerance(r)} perplexity saves FLOPs)`,
    ];
  const lines = [
    `recommended: threshold ${r.threshold} (FFN ${percent(r.ffn_fraction)}, FLOPs ${percent(r.flops_fraction)}, ` +
      `ppl ${signedPercentChange(r.perplexity, dense.perplexity)} vs dense; the cheapest ` +
      `point within ${tolerance(r)}, report.max_ppl_increase)`,
  ];
  const speed = speedSentence(recommendedPoint(report), report);
  if (speed) lines.push(`speed at threshold ${r.threshold}: ${speed.replaceAll('`', '')}`);
  return lines;
}

function fixedLine(report: Report): string[] {
  const fixed = report.fixed_threshold;
  if (fixed === null || fixed === undefined) return [];
  const r = report.recommended;
  const note =
    r?.kind === 'learned' && r.threshold !== fixed
      ? `; set output.fixed_threshold: ${r.threshold} and convert --force to bake in the recommended one`
      : '';
  return [`fixed graphs (model_fixed.onnx, onnx/model.onnx): threshold ${fixed}${note}`];
}

export function summaryLines(report: Report): string[] {
  const dense = report.points.find((p) => p.kind === 'dense');
  const thresholds = report.points
    .filter((p) => p.kind === 'learned')
    .sort((a, b) => a.threshold! - b.threshold!)
    .map((p) => thresholdLine(p, dense));
  const precisions = (report.precisions ?? []).map((s) => precisionLine(s, dense));
  return [...thresholds, ...precisions, ...recommendedLines(report, dense), ...fixedLine(report)];
}

/**
 * `q4: dense ppl 3.9012 (+2.11% vs fp32 dense); threshold 0 +0.00% at 100.3%, 0.1 +1.52% at 55.0% FFN+router vs
 * q4 dense`: routed points pay for their router, as the fp32 lines.
 */
function precisionLine(s: PrecisionSection, fp32Dense: Point | undefined): string {
  const dense = s.points.find((p) => p.kind === 'dense');
  const learned = s.points
    .filter((p) => p.kind === 'learned')
    .sort((a, b) => a.threshold! - b.threshold!)
    .map((p) => {
      const delta = dense ? signedPercentChange(p.perplexity, dense.perplexity) : DASH;
      return `${p.threshold} ${delta} at ${percent(p.ffn_router_fraction ?? p.ffn_fraction)}`;
    });
  const head = dense
    ? `dense ppl ${perplexity(dense.perplexity)}` +
      (fp32Dense ? ` (${signedPercentChange(dense.perplexity, fp32Dense.perplexity)} vs fp32 dense)` : '')
    : 'no dense graph';
  return `${s.dtype}: ${head}; threshold ${learned.join(', ')} FFN+router vs ${s.dtype} dense`;
}
