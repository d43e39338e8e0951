/**
 * `moefy inspect <out-dir>`: what a `moefy convert` output directory holds — the source, the model shape, the
 * experts, the router and how it was trained, each graph with its role, and what the report recommends. Read
 * from moefy.json (and report.json when present); nothing is loaded into ONNX Runtime.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { percent, signedPercentChange } from '../../report/format.js';
import { parseReport } from '../../report/parse.js';
import type { Report } from '../../report/types.js';
import { type GraphRole, MANIFEST_FILE, moeManifestSchema, readManifest } from '../shared/manifest.js';

const manifestSchema = moeManifestSchema.pick({
  moefy_version: true,
  source: true,
  recipe: true,
  model: true,
  experts: true,
  router: true,
  fixed_threshold: true,
  graphs: true,
});

type Manifest = ReturnType<typeof manifestSchema.parse>;

/** What each graph role is for, in a few words. */
const ROLE_TEXT: Record<GraphRole, (m: Manifest) => string> = {
  moe: () => 'MoE, router-driven: takes router_threshold',
  moe_choice: () => 'MoE, expert per token as input (static baselines)',
  moe_fixed: (m) => `MoE with threshold ${m.fixed_threshold} baked in; Optimum I/O only`,
  moe_oracle: () => 'MoE routed by the true difficulty (the evaluation’s oracle)',
  transformers_js: (m) => `the fixed graph for transformers.js (threshold ${m.fixed_threshold})`,
  dense: () => 'the dense baseline',
};

/** A directory whose moefy.json says it is a `moefy convert` output. */
export function isOutputDir(path: string): boolean {
  const file = join(path, MANIFEST_FILE);
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { kind?: unknown }).kind === 'moe';
  } catch {
    return true; // unreadable: inspectOutput names the file and the problem
  }
}

export interface OutputDescription {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly report: Report | null;
}

export async function inspectOutput(dir: string): Promise<OutputDescription> {
  const manifest = await readManifest(dir, manifestSchema);
  const reportPath = join(dir, 'report.json');
  const report = existsSync(reportPath) ? parseReport(await readFile(reportPath, 'utf8'), reportPath) : null;
  return { dir, manifest, report };
}

function size(path: string): string {
  if (!existsSync(path)) return 'missing';
  const bytes = statSync(path).size;
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

function routerLine(m: Manifest): string {
  const shape = m.router.kind === 'mlp' ? `mlp, hidden ${m.router.hidden}` : 'ridge (linear, closed form)';
  const kind = m.router.input === 'normed+log_norm' ? `${shape}, reads x and log‖r‖` : shape;
  const t = m.router.train;
  if (!t) return kind;
  const heldout = t.final_heldout_loss === null ? '' : `, held-out loss ${t.final_heldout_loss.toFixed(4)}`;
  return `${kind}; trained ${t.steps} steps${heldout}`;
}

function reportLine(r: Report | null): string {
  if (!r) return 'none (run `moefy eval <out-dir>`)';
  const rec = r.recommended;
  const dense = r.points.find((p) => p.kind === 'dense');
  if (!rec || !dense) return `${r.points.length} points`;
  if (rec.kind === 'dense') return `${r.points.length} points; recommends the dense model`;
  return (
    `${r.points.length} points; recommends threshold ${rec.threshold} (FFN ${percent(rec.ffn_fraction)}, ` +
    `FLOPs ${percent(rec.flops_fraction)}, ppl ${signedPercentChange(rec.perplexity, dense.perplexity)} vs dense)`
  );
}

export function formatOutputInspect(d: OutputDescription): string {
  const m = d.manifest;
  const source = m.source.kind === 'hub' ? `hub ${m.source.repo}@${m.source.sha}` : `local ${m.source.path}`;
  const sizes = m.experts.sizes;
  const graphs = m.graphs.map((g) => {
    const data = ` + ${g.data} ${size(join(d.dir, g.data))}`;
    const what = ROLE_TEXT[g.role](m);
    return `${g.file.padEnd(20)} ${size(join(d.dir, g.file)).padStart(8)}${data}: ${what}`;
  });
  const lines = [
    `output        ${d.dir} (moefy ${m.moefy_version})`,
    `source        ${source}`,
    `model         ${m.model.family}, ${m.model.layers} layers, hidden ${m.model.hidden}, FFN ${m.model.ffn_dim}`,
    `experts       ${sizes.join(' / ')} neurons (${sizes.map((n) => percent(n / m.model.ffn_dim, 1)).join(', ')})`,
    `router        ${routerLine(m)}`,
    `fixed graphs  threshold ${m.fixed_threshold} baked in`,
    `graphs        ${graphs[0] ?? 'none'}`,
    ...graphs.slice(1).map((g) => `              ${g}`),
    `report        ${reportLine(d.report)}`,
  ];
  return `${lines.join('\n')}\n`;
}
