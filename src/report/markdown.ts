/** report.md: what a reviewer reads in a PR. Formatting only; every figure comes from the report. */
import { DASH, fixed, percent, perplexity, ratio, signedPercentChange } from './format.js';
import { summaryParagraph } from './summary.js';
import type { Point, PointKind, Report } from './types.js';

const SECTIONS: readonly { kind: PointKind; title: string; label: string }[] = [
  { kind: 'dense', title: 'Dense', label: 'graph' },
  { kind: 'learned', title: 'Learned routing', label: 'threshold' },
  { kind: 'static', title: 'Static slices (every token uses one expert)', label: 'expert (neurons)' },
  { kind: 'oracle', title: 'Oracle routing (true difficulty targets)', label: 'threshold' },
];

const COLUMNS = [
  'FFN',
  'FLOPs',
  'perplexity',
  'Δppl vs dense',
  'accuracy',
  'prefill ms',
  'speedup',
  'decode tok/s',
];

function label(point: Point, report: Report): string {
  if (point.kind === 'static' && point.expert !== null) {
    return `${point.expert} (${report.model.expert_sizes[point.expert] ?? '?'})`;
  }
  return point.threshold === null ? point.kind : String(point.threshold);
}

function latencyCells(point: Point, dense: Point | undefined): string[] {
  const lat = point.latency;
  if (!lat) return [DASH, DASH, DASH];
  const spread = lat.prefill_ms_spread === undefined ? '' : ` ± ${fixed(lat.prefill_ms_spread, 1)}`;
  const speedup = dense?.latency ? ratio(dense.latency.prefill_ms / lat.prefill_ms) : DASH;
  return [`${fixed(lat.prefill_ms, 1)}${spread}`, speedup, fixed(lat.decode_tokens_per_s, 1)];
}

function row(point: Point, report: Report, dense: Point | undefined): string {
  const cells = [
    `${label(point, report)}${point.pareto ? ' ★' : ''}`,
    percent(point.ffn_fraction),
    percent(point.flops_fraction),
    perplexity(point.perplexity),
    dense ? signedPercentChange(point.perplexity, dense.perplexity) : DASH,
    percent(point.accuracy, 2),
    ...latencyCells(point, dense),
  ];
  return `| ${cells.join(' | ')} |`;
}

function table(section: (typeof SECTIONS)[number], report: Report, dense: Point | undefined): string[] {
  const points = report.points
    .filter((p) => p.kind === section.kind)
    .sort((a, b) => a.ffn_fraction - b.ffn_fraction || (a.threshold ?? 0) - (b.threshold ?? 0));
  if (points.length === 0) return [];
  const header = [section.label, ...COLUMNS];
  return [
    `## ${section.title}`,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...points.map((p) => row(p, report, dense)),
    '',
  ];
}

function header(report: Report): string[] {
  const { model, machine, eval: ev } = report;
  const sha = model.source_sha === null ? 'local files' : `revision \`${model.source_sha}\``;
  return [
    `# moefy report: ${model.id}`,
    '',
    `- **Model:** \`${model.id}\` (${model.family}, ${sha}): ${model.layers} layers, hidden ${model.hidden}, ` +
      `FFN ${model.ffn_dim}; expert sizes ${model.expert_sizes.join(' / ')} neurons`,
    `- **Machine:** ${machine.cpu}, ${machine.cores} cores; onnxruntime ${machine.ort_version}, ${machine.threads} threads`,
    `- **Evaluation:** ${ev.tokens} tokens of \`${ev.text}\` in windows of ${ev.seq_len}`,
    `- **moefy:** ${report.moefy_version} (${report.schema})`,
    '',
  ];
}

/** The whole report.md, ending with a newline. */
export function reportToMarkdown(report: Report): string {
  const dense = report.points.find((p) => p.kind === 'dense');
  const lines = [
    ...header(report),
    '## Summary',
    '',
    summaryParagraph(report),
    '',
    ...SECTIONS.flatMap((s) => table(s, report, dense)),
    `★ Pareto-optimal: no other ${report.pareto.kinds.join('/')} point has both lower FLOPs and lower perplexity. ` +
      'FFN and FLOPs are realized fractions of the dense model (FLOPs: whole model, router included); ' +
      'speedup is dense prefill time over this point’s.',
  ];
  return `${lines.join('\n')}\n`;
}
