/** `moefy inspect file.onnx`: an emitted (or any) ONNX graph described, as text or JSON. */
import { FIXED_THRESHOLD_METADATA } from '../../graph/names.js';
import { describeOnnxFile, type OnnxDescription, type OnnxValue } from '../../onnx/describe.js';

export { describeOnnxFile as inspectOnnx, type OnnxDescription };

const MB = 1024 * 1024;

function value(v: OnnxValue): string {
  return `  ${v.name.padEnd(28)} ${v.type.toLowerCase()} [${v.shape.join(', ')}]`;
}

function baked(d: OnnxDescription): string[] {
  const t = d.metadata[FIXED_THRESHOLD_METADATA];
  if (t === undefined) return [];
  return [
    `routing       threshold ${t} baked in (a fixed operating point; model.onnx takes router_threshold)`,
  ];
}

export function formatOnnxInspect(d: OnnxDescription): string {
  const opsets = Object.entries(d.opsets)
    .map(([domain, v]) => `${domain} ${v}`)
    .join(', ');
  const init = d.initializers;
  const lines = [
    `graph         ${d.graph} (${d.file})`,
    `format        IR ${d.irVersion}, opset ${opsets}${d.producer ? `, produced by ${d.producer}` : ''}`,
    '',
    `inputs (${d.inputs.length})`,
    ...d.inputs.map(value),
    `outputs (${d.outputs.length})`,
    ...d.outputs.map(value),
    '',
    `nodes         ${d.nodes}: ${d.operators.map(([op, n]) => `${op} ${n}`).join(', ')}`,
    `weights       ${init.count} initializers: ${(init.externalBytes / MB).toFixed(1)} MB external` +
      `${init.externalFiles.length ? ` (${init.externalFiles.join(', ')})` : ''}, ${(init.inlineBytes / MB).toFixed(2)} MB inline`,
    ...baked(d),
    ...Object.entries(d.metadata).map(([k, v]) => `metadata      ${k} = ${v}`),
  ];
  return `${lines.join('\n')}\n`;
}
