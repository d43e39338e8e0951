/** The `features` block of `moefy inspect`'s text: RoPE variant, sliding layers, soft-caps, fused tensors. */
import type { FamilyFeatures } from '../../ir/features.js';

/** `features` and one line per feature the model has (the RoPE line for every rotary model); none for GPT-2. */
export function featureLines(f: FamilyFeatures): string[] {
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
