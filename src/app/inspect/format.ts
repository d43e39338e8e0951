/** Plain-text rendering of an InspectReport: aligned columns, no colour, the same on a TTY and in a pipe. */
import { featureLines } from './features.js';
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
