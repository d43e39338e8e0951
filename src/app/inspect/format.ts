/** Plain-text rendering of an InspectReport: aligned columns, no colour, the same on a TTY and in a pipe. */
import type { FamilyFeatures } from '../../ir/features.js';
import type { InspectReport } from './inspect.js';

export function formatInspect(r: InspectReport): string {
  const s = r.shapes;
  const p = r.parameters;
  const source =
    r.source.kind === 'local' ? r.source.path : `${r.source.repo}@${r.source.sha} (${r.source.revision})`;
  const part = (n: number) => `${count(n).padStart(12)}  ${percent(n / (p.total || 1)).padStart(6)}`;
  const lines = [
    `model         ${r.family} (${r.architecture})`,
    `source        ${source}`,
    '',
    'shapes',
    `  vocab       ${s.vocab}`,
    `  hidden      ${s.hidden}`,
    `  layers      ${s.layers}`,
    `  heads       ${s.heads} (kv heads ${s.kvHeads}, head dim ${s.headDim})`,
    `  ffn         ${s.ffnDim} (${s.ffnKind}, ${s.activation})`,
    `  positions   ${s.maxPositions} (${s.positions})`,
    `  lm head     ${s.tiedEmbeddings ? 'tied to the embedding' : 'separate'}`,
    '',
    ...featureLines(r.features),
    `dtypes        ${Object.entries(r.dtypes)
      .map(([d, e]) => `${d} (${e.tensors} tensors, ${bytes(e.bytes)})`)
      .join(', ')}; declared ${r.sourceDtype}`,
    '',
    'parameters',
    `  embeddings  ${part(p.embeddings)}`,
    `  attention   ${part(p.attention)}`,
    `  ffn         ${part(p.ffn)}`,
    `  norms       ${part(p.norms)}`,
    `  lm head     ${part(p.lmHead)}${s.tiedEmbeddings ? '  (tied)' : ''}`,
    `  total       ${count(p.total).padStart(12)}`,
    `  ffn share   ${percent(p.ffnShare)}`,
    '',
    'files',
    ...r.files.map((f) => `  ${f.name.padEnd(40)} ${bytes(f.size).padStart(10)}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** `features` and one line per feature the model has; nothing for a plain Llama-style model. */
function featureLines(f: FamilyFeatures): string[] {
  const lines: string[] = [];
  const r = f.rope;
  if (r) {
    const scaling = [
      r.factor !== undefined && `factor ${r.factor}`,
      r.originalLength !== undefined && `original ${r.originalLength}`,
      r.attentionFactor !== undefined && `attention factor ${r.attentionFactor.toFixed(4)}`,
    ].filter(Boolean);
    const partial = r.rotaryDim < r.headDim ? `, ${r.rotaryDim} of ${r.headDim} channels` : '';
    const local = r.localTheta !== undefined ? `; sliding layers: default θ ${r.localTheta}` : '';
    lines.push(
      `  rope        ${r.type} (θ ${r.theta}${scaling.map((x) => `, ${x}`).join('')})${partial}${local}`,
    );
  }
  for (const { window, layers } of f.slidingLayers)
    lines.push(`  sliding     window ${window} on ${layers.length} layers: ${ranges(layers)}`);
  const caps = Object.entries(f.softcaps).map(([k, v]) => `${k} ${v}`);
  if (caps.length > 0) lines.push(`  soft-caps   ${caps.join(', ')}`);
  for (const { tensor, parts } of f.fused) lines.push(`  fused       ${tensor} → ${parts.join(', ')}`);
  if (f.variants.length > 0) lines.push(`  variants    ${f.variants.join('; ')}`);
  return lines.length > 0 ? ['features', ...lines, ''] : [];
}

/** [0, 1, 2, 4, 5] → "0-2, 4-5". */
function ranges(values: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    out.push(i === j ? `${values[i]}` : `${values[i]}-${values[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}
