/** report.md: what a reviewer reads in a PR. Formatting only; every figure comes from the report. */
import { DASH, fixed, percent, perplexity, signedPercentChange, speedupWithInterval } from './format.js';
import { recommendationParagraphs } from './recommendation.js';
import { precisionSection } from './precisions-markdown.js';
import { summaryParagraph } from './summary.js';
import { tasksMarkdown } from './tasks-markdown.js';
import type { Point, PointKind, Report, Speedup } from './types.js';

const SECTIONS: readonly { kind: PointKind; title: string; label: string }[] = [
  { kind: 'dense', title: 'Dense', label: 'graph' },
  { kind: 'learned', title: 'Learned routing', label: 'threshold' },
  { kind: 'static', title: 'Static slices (every token uses one expert)', label: 'expert (neurons)' },
  { kind: 'oracle', title: 'Oracle routing (true difficulty targets)', label: 'threshold' },
];

const COLUMNS = [
  'FFN+router',
  'FFN',
  'FLOPs',
  'perplexity',
  'Δppl vs dense',
  'accuracy',
  'prefill ms',
  'prefill speedup',
  'decode tok/s',
  'decode speedup',
];

function label(point: Point, report: Report): string {
  if (point.kind === 'static' && point.expert !== null) {
    const sizes = report.model.expert_sizes;
    const full = point.expert === sizes.length - 1 ? ', full width' : '';
    return `${point.expert} (${sizes[point.expert] ?? '?'}${full})`;
  }
  return point.threshold === null ? point.kind : String(point.threshold);
}

/** ★ Pareto, and which learned point is recommended and which one the fixed graphs carry. */
function marks(point: Point, report: Report): string {
  const tags = point.pareto ? [' ★'] : [];
  if (point.kind === 'learned') {
    const r = report.recommended;
    if (r?.kind === 'learned' && r.threshold === point.threshold) tags.push(' **recommended**');
    if (report.fixed_threshold === point.threshold) tags.push(' (fixed graph)');
  }
  if (point.kind === 'dense' && report.recommended?.kind === 'dense') tags.push(' **recommended**');
  return tags.join('');
}

/** Bold when the interval excludes 1: a measurable difference. */
function speedupCell(s: Speedup | null | undefined): string {
  if (!s) return DASH;
  const text = speedupWithInterval(s);
  return s.verdict === 'no-difference' ? text : `**${text}**`;
}

function latencyCells(point: Point): string[] {
  const lat = point.latency;
  if (!lat) return [DASH, DASH, DASH, DASH];
  const spread = lat.prefill_ms_spread === undefined ? '' : ` ± ${fixed(lat.prefill_ms_spread, 1)}`;
  return [
    `${fixed(lat.prefill_ms, 1)}${spread}`,
    speedupCell(lat.prefill_speedup),
    fixed(lat.decode_tokens_per_s, 1),
    speedupCell(lat.decode_speedup),
  ];
}

function row(point: Point, report: Report, dense: Point | undefined): string {
  const cells = [
    `${label(point, report)}${marks(point, report)}`,
    percent(point.ffn_router_fraction ?? point.ffn_fraction),
    percent(point.ffn_fraction),
    percent(point.flops_fraction),
    perplexity(point.perplexity),
    dense ? signedPercentChange(point.perplexity, dense.perplexity) : DASH,
    percent(point.accuracy, 2),
    ...latencyCells(point),
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

/** The adapted experts' own down projections cost memory and disk, never compute: say how much. */
function adaptedNote(model: Report['model']): string {
  if (!model.adapted_params) return '';
  const share = model.params ? ` (+${percent(model.adapted_params / model.params)} of the model)` : '';
  return `; adapted experts store ${model.adapted_params} extra parameters${share}`;
}

/** What every column means, under the tables: a reader should not have to guess "accuracy". */
function columnNotes(report: Report): string[] {
  const { eval: ev, timing: t } = report;
  const repeats = t ? `${t.repeats} repeats` : 'the repeats';
  const confidence = t ? `${Math.round(t.required_confidence * 100)}%` : '95%';
  const prompt = t ? `${t.prompt_tokens}-token` : 'prompt';
  const decode = t ? `${t.decode_tokens} tokens` : 'tokens';
  return [
    '## Columns',
    '',
    '- **FFN+router**: (FFN MACs used + router MACs) / dense FFN MACs, the compute learned points are placed and ' +
      'compared by (equal to FFN for dense and static slices, which run no router).',
    '- **FFN**: share of FFN neurons actually used, averaged over scored tokens and layers, counted from the ' +
      "graph's `expert_index` output.",
    '- **FLOPs**: whole-model multiply-accumulates (attention, FFN, routers, LM head) over the dense model’s on ' +
      'the same tokens; above 100% where the router costs more than it saves.',
    `- **perplexity**: exp of the mean next-token negative log-likelihood on held-out text (\`${ev.text}\`, ` +
      `${ev.tokens} tokens in windows of ${ev.seq_len}; not used for calibration or router training). ` +
      '**Δppl vs dense**: its change against the dense model’s.',
    '- **accuracy**: next-token accuracy on the same held-out text: the share of positions whose most likely ' +
      'token (argmax of the logits) is the actual next token.',
    `- **prefill ms**: median time to process a ${prompt} prompt at batch 1 (empty KV cache), ± half the ` +
      `min–max range over ${repeats}. **decode tok/s**: median rate decoding ${decode} one at a time with the ` +
      'KV cache.',
    `- **prefill / decode speedup**: against dense, the median of per-repeat ratios, each from a round that ` +
      `timed every graph once in turn, with its ${confidence} interval [low–high]. **Bold** when the interval ` +
      'excludes 1 (a measurable difference); otherwise there is no measurable difference, whatever the median ' +
      'says. Each interval is distribution-free (order statistics of the per-repeat ratios); at this coverage the ' +
      'two dozen intervals of a report show a difference by chance alone in about one report in twenty.',
    `- **★ Pareto-optimal**: no other ${report.pareto.kinds.join('/')} point has both lower FLOPs and lower ` +
      'perplexity. **recommended**: the Recommendation above. **(fixed graph)**: the threshold baked into ' +
      '`model_fixed.onnx` and `onnx/model.onnx`.',
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
      `FFN ${model.ffn_dim}; expert sizes ${model.expert_sizes.join(' / ')} neurons${adaptedNote(model)}`,
    `- **Machine:** ${machine.cpu}, ${machine.cores} cores; onnxruntime ${machine.ort_version}, ${machine.threads} threads`,
    `- **Evaluation:** ${ev.tokens} tokens of \`${ev.text}\` in windows of ${ev.seq_len}`,
    `- **moefy:** ${report.moefy_version} (${report.schema})`,
    ...(report.skipped ?? []).map((s) => `- **Not measured:** ${s.measurement}: ${s.reason}`),
    '',
  ];
}

/** Threshold 0 is the dense model up to rounding unless `experts.adapt: joint` refitted the shared weights: say so. */
function threshold0Note(report: Report): string[] {
  const increase = report.threshold0_ppl_increase;
  if (increase === null || increase === undefined || Math.abs(increase) < 1e-4) return [];
  const sign = increase >= 0 ? '+' : '−';
  return [
    `Threshold 0 (every token on the full expert) is not the dense model here: perplexity ${sign}${(Math.abs(increase) * 100).toFixed(2)} % vs dense (shared weights refitted by \`experts.adapt: joint\`; gated by \`check.max_threshold0_increase\`).`,
    '',
  ];
}

/** The whole report.md, ending with a newline. */
export function reportToMarkdown(report: Report): string {
  const dense = report.points.find((p) => p.kind === 'dense');
  const lines = [
    ...header(report),
    '## Recommendation',
    '',
    ...recommendationParagraphs(report).flatMap((p) => [p, '']),
    '## Learned vs static',
    '',
    summaryParagraph(report),
    '',
    ...threshold0Note(report),
    ...SECTIONS.flatMap((s) => table(s, report, dense)),
    ...columnNotes(report),
    ...tasksMarkdown(report),
    ...(report.precisions?.length ? ['', ...precisionSection(report)] : []),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}
