/**
 * The model card (README.md) a push commits: YAML front matter the Hub reads (base model, library, pipeline, tags,
 * license, datasets) and a body built from report.json and moefy.json: what the model is, the measured trade-off,
 * the curve, which threshold to use, how to run it, and how it was made. Every figure comes from the report.
 */
import { stringify } from 'yaml';
import { percent, perplexity, signedPercentChange } from '../../report/format.js';
import type { Point, Report } from '../../report/types.js';
import type { CardManifest } from './card-manifest.js';
import { usageSection } from './card-usage.js';
import { recommendPoint, type Recommendation } from './recommend.js';

export interface CardInput {
  readonly repo: string;
  readonly report: Report;
  readonly manifest: CardManifest;
  /** The base model's license (from its card), when it has one. */
  readonly license: string | null;
  /** The chart file committed beside the card (curve.png, else curve.svg), or null. */
  readonly curve: string | null;
  /** The moefy version that pushes (the manifest holds the one that converted). */
  readonly version: string;
}

export function modelCard(c: CardInput): string {
  const rec = recommendPoint(c.report, c.manifest.recipe.check.max_ppl_ratio);
  const body = [
    ...intro(c),
    ...tradeOff(c),
    ...thresholds(c, rec),
    ...usageSection({
      repo: c.repo,
      threshold: rec?.point.threshold ?? c.manifest.fixed_threshold,
      fixedThreshold: c.manifest.fixed_threshold,
      prompt: 'In the beginning',
    }),
    ...provenance(c),
  ];
  return `---\n${stringify(frontMatter(c, rec), { lineWidth: 0 })}---\n\n${body.join('\n')}`;
}

function frontMatter(c: CardInput, rec: Recommendation | null): Record<string, unknown> {
  const { source } = c.manifest;
  const datasets = hubDatasets(c.manifest);
  return {
    ...(source.kind === 'hub' ? { base_model: source.repo } : {}),
    ...(c.license ? { license: c.license } : {}),
    library_name: 'transformers.js',
    pipeline_tag: 'text-generation',
    tags: ['onnx', 'moe', 'moefy', 'transformers.js', 'dynamic-moe', c.manifest.model.family],
    ...(datasets.length > 0 ? { datasets } : {}),
    moefy: {
      version: c.manifest.moefy_version,
      ...(source.kind === 'hub' ? { base_model_revision: source.sha } : {}),
      expert_sizes: c.manifest.experts.sizes,
      fixed_threshold: c.manifest.fixed_threshold,
      recommended_threshold: rec?.point.threshold ?? null,
    },
  };
}

function baseName(m: CardManifest): string {
  return m.source.kind === 'hub' ? m.source.repo : (m.source.path.split(/[\\/]/).pop() ?? m.source.path);
}

function intro(c: CardInput): string[] {
  const m = c.manifest;
  const base =
    m.source.kind === 'hub'
      ? `[${m.source.repo}](https://huggingface.co/${m.source.repo}) at revision \`${m.source.sha}\``
      : `the local checkpoint \`${baseName(m)}\``;
  const sizes = m.experts.sizes.map((n, i) => `${n} (${percent(m.experts.fractions[i]!, 1)})`).join(', ');
  return [
    `# ${c.repo.split('/')[1]}`,
    '',
    `A dynamic nested Mixture-of-Experts version of ${base} (${m.model.architecture}, ${m.model.layers} layers), ` +
      `converted with [moefy](https://www.npmjs.com/package/moefy) ${m.moefy_version}. Each FFN's neurons are ` +
      `reordered so that expert k is the first n_k of them (nested experts of ${sizes} neurons out of ` +
      `${m.model.ffn_dim}); a small ${m.router.kind} router before each FFN estimates, per token, the error of ` +
      'each smaller expert, and the token takes the smallest expert whose estimate is within `router_threshold`. ' +
      'Threshold 0 is the dense model; larger thresholds trade quality for compute, chosen at run time with one ' +
      'set of weights.',
    '',
  ];
}

function tradeOff(c: CardInput): string[] {
  const r = c.report;
  const dense = r.points.find((p) => p.kind === 'dense');
  const rows = r.points
    .filter((p) => p.kind === 'dense' || p.kind === 'learned' || p.kind === 'static')
    .sort((a, b) => kindOrder(a) - kindOrder(b) || a.ffn_fraction - b.ffn_fraction);
  return [
    '## Trade-off',
    '',
    `Measured by moefy on ${r.eval.tokens} held-out tokens of \`${r.eval.text}\` (windows of ${r.eval.seq_len}). ` +
      'FFN and FLOPs are the realized fractions of the dense model (FLOPs: whole model, routers included); ' +
      '"static" rows give every token the same expert, the baseline that learned routing must beat.',
    '',
    '| point | FFN | FLOPs | perplexity | Δppl vs dense | next-token accuracy |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((p) => tableRow(p, r, dense)),
    '',
    ...(c.curve ? [`![perplexity against compute](${c.curve})`, ''] : []),
  ];
}

function kindOrder(p: Point): number {
  return p.kind === 'dense' ? 0 : p.kind === 'learned' ? 1 : 2;
}

function tableRow(p: Point, r: Report, dense: Point | undefined): string {
  const name =
    p.kind === 'learned'
      ? `threshold ${p.threshold}`
      : p.kind === 'static'
        ? `static expert ${p.expert} (${r.model.expert_sizes[p.expert ?? 0]} neurons)`
        : 'dense';
  const delta = dense ? signedPercentChange(p.perplexity, dense.perplexity) : '—';
  const cells = [name, percent(p.ffn_fraction), percent(p.flops_fraction), perplexity(p.perplexity), delta];
  return `| ${[...cells, percent(p.accuracy, 2)].join(' | ')} |`;
}

function thresholds(c: CardInput, rec: Recommendation | null): string[] {
  const fixed = c.manifest.fixed_threshold;
  const fixedPoint = c.report.points.find((p) => p.kind === 'learned' && p.threshold === fixed);
  const dense = c.report.points.find((p) => p.kind === 'dense');
  const measured = (p: Point) =>
    `${percent(p.ffn_fraction)} FFN, ${percent(p.flops_fraction)} FLOPs, perplexity ` +
    (dense ? `${signedPercentChange(p.perplexity, dense.perplexity)} vs dense` : perplexity(p.perplexity));
  const recLine = rec
    ? `**Recommended threshold: ${rec.point.threshold}** (${measured(rec.point)}): the cheapest measured learned ` +
      `point within the recipe's tolerance of ${signedPercentChange(rec.maxPplRatio, 1)} perplexity ` +
      (rec.from === 'report'
        ? '(`report.max_ppl_increase`), as report.json records it.'
        : '(`check.max_ppl_ratio`), computed by `moefy push` from report.json.')
    : `No measured learned point is within the recipe's tolerance of ` +
      `${signedPercentChange(c.manifest.recipe.check.max_ppl_ratio, 1)} perplexity; use threshold 0 (dense) or ` +
      'pick a point from the table.';
  return [
    '## Which threshold',
    '',
    recLine,
    '',
    `\`model_fixed.onnx\` and \`onnx/model.onnx\` have threshold **${fixed}** baked in (recipe ` +
      '`output.fixed_threshold`)' +
      (fixedPoint ? `: ${measured(fixedPoint)}.` : '; it was not among the swept thresholds.'),
    '',
  ];
}

function provenance(c: CardInput): string[] {
  const m = c.manifest;
  const lock =
    m.source.kind === 'hub'
      ? { model: m.source.repo, revision: m.source.revision, sha: m.source.sha }
      : { model: baseName(m), revision: null, sha: null };
  const pinned = {
    ...lock,
    files: Object.fromEntries(m.source.files.map((f) => [f.name, f.sha256])),
    ...(m.data ? { data: m.data } : {}),
  };
  return [
    '## How it was made',
    '',
    `Converted with moefy ${m.moefy_version}; this card was written by moefy ${c.version} (\`moefy push\`). ` +
      'The files are exactly the output directory of `moefy convert` (hashes in `moefy.json`), plus this card. ' +
      '`report.json` holds every measured point, `report.md` the same for people.',
    '',
    'Recipe (as resolved; local paths shortened to file names):',
    '',
    '```yaml',
    stringify(portable(m.recipe), { lineWidth: 0 }).trimEnd(),
    '```',
    '',
    'Source pin (the recipe lock: resolved commit and the sha256 of every source file):',
    '',
    '```json',
    JSON.stringify(pinned, null, 2),
    '```',
    '',
  ];
}

/** Absolute local paths would leak the converting machine's layout: keep only their last component. */
function portable(value: unknown): unknown {
  if (typeof value === 'string') return value.startsWith('/') ? value.split('/').pop() : value;
  if (Array.isArray(value)) return value.map(portable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, portable(v)]));
  }
  return value;
}

/** Hub dataset ids the conversion read, for the card's `datasets` field. */
function hubDatasets(m: CardManifest): string[] {
  const ids = Object.values(m.data ?? {})
    .map((d) => (d as { kind?: string; id?: string } | null) ?? {})
    .filter((d) => d.kind === 'hub' && typeof d.id === 'string')
    .map((d) => d.id!);
  return [...new Set(ids)].sort();
}
