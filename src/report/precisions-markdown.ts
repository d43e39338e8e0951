/**
 * The "Precisions" section of report.md: for fp32 and every other precision of output.dtypes, the dense graph and
 * the router graph at each threshold, with the cost of routing (against the dense graph of the same precision)
 * and the cost of the precision (against fp32 dense) side by side. Formatting only.
 */
import { DASH, fixed, percent, perplexity, signedPercentChange } from './format.js';
import type { Point, Report } from './types.js';

const HEADER = [
  'dtype',
  'graph',
  'FFN+router',
  'FFN',
  'perplexity',
  'Δppl vs same-dtype dense',
  'Δppl vs fp32 dense',
  'prefill ms',
  'decode tok/s',
];

function rows(dtype: string, points: readonly Point[], fp32Dense: Point | undefined): string[] {
  const dense = points.find((p) => p.kind === 'dense');
  const ordered = [
    ...points.filter((p) => p.kind === 'dense'),
    ...points.filter((p) => p.kind === 'learned').sort((a, b) => a.threshold! - b.threshold!),
  ];
  return ordered.map((p) => {
    const cells = [
      dtype,
      p.kind === 'dense' ? 'dense' : `threshold ${p.threshold}`,
      // Routed points pay for their router, as in the fp32 tables (the same accounting in every precision).
      percent(p.ffn_router_fraction ?? p.ffn_fraction),
      percent(p.ffn_fraction),
      perplexity(p.perplexity),
      dense && p !== dense ? signedPercentChange(p.perplexity, dense.perplexity) : DASH,
      fp32Dense ? signedPercentChange(p.perplexity, fp32Dense.perplexity) : DASH,
      p.latency ? fixed(p.latency.prefill_ms, 1) : DASH,
      p.latency ? fixed(p.latency.decode_tokens_per_s, 1) : DASH,
    ];
    return `| ${cells.join(' | ')} |`;
  });
}

/** The section's lines (empty when the report has only fp32). */
export function precisionSection(report: Report): string[] {
  if (!report.precisions?.length) return [];
  const fp32 = report.points.filter((p) => p.kind === 'dense' || p.kind === 'learned');
  const fp32Dense = fp32.find((p) => p.kind === 'dense');
  return [
    '## Precisions',
    '',
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows('fp32', fp32, fp32Dense),
    ...report.precisions.flatMap((s) => rows(s.dtype, s.points, fp32Dense)),
    '',
    'Each precision is measured on the same tokens. Quantized dense graphs hold the MoE’s quantized weights ' +
      '(neurons in the MoE’s order), so "vs same-dtype dense" is the cost of routing alone and "vs fp32 dense" ' +
      'routing and precision together.',
  ];
}
