/**
 * Role → tensor handles for one checkpoint: fills a spec's name templates, checks that each tensor exists with the
 * shape its role implies, decides which biases exist, and turns packed projections into per-role views.
 */
import type { TensorStore } from '../checkpoint/safetensors-index.js';
import type { Linear, Norm, TensorHandle, WeightLayout } from '../ir/model.js';
import { CheckpointFormatError } from '../util/errors.js';
import type { CanonicalConfig } from './config-map.js';
import { sliceOutputs } from './packed.js';
import { type BiasWhen, type FamilySpec, LAYER_ROLES, type TensorEntry } from './spec.js';

export type LinearRole = 'attn.q' | 'attn.k' | 'attn.v' | 'attn.o' | 'ffn.gate' | 'ffn.up' | 'ffn.down';

export interface RoleContext {
  spec: FamilySpec;
  store: TensorStore;
  dims: CanonicalConfig;
  architecture: string;
  /** config.json flags that switch biases on (`attention_bias`, `mlp_bias`). */
  flag(key: string): boolean;
  prefix: string;
  dir: string;
}

/** [in, out] features of each linear role; family-independent. */
export function linearDims(role: LinearRole, d: CanonicalConfig): [number, number] {
  const table: Record<LinearRole, [number, number]> = {
    'attn.q': [d.hidden, d.heads * d.head_dim],
    'attn.k': [d.hidden, d.kv_heads * d.head_dim],
    'attn.v': [d.hidden, d.kv_heads * d.head_dim],
    'attn.o': [d.heads * d.head_dim, d.hidden],
    'ffn.gate': [d.hidden, d.ffn_dim],
    'ffn.up': [d.hidden, d.ffn_dim],
    'ffn.down': [d.ffn_dim, d.hidden],
  };
  return table[role];
}

interface TensorRequest {
  template: string;
  layer?: number;
  shape: number[];
  role: string;
}

/** The named tensor, checked to exist with the expected shape. */
export function tensor(ctx: RoleContext, { template, layer, shape, role }: TensorRequest): TensorHandle {
  const name = template.replaceAll('{p}', ctx.prefix).replaceAll('{i}', String(layer));
  const where = layer === undefined ? `role ${role}` : `role ${role}, layer ${layer}`;
  const info = ctx.store.tensors.get(name);
  if (!info) throw new CheckpointFormatError(ctx.dir, `${name}: missing from the checkpoint (${where})`);
  if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
    throw new CheckpointFormatError(
      info.file,
      `${name}.shape: expected [${shape.join(', ')}] (${where}), got [${info.shape.join(', ')}]`,
    );
  }
  return ctx.store.handle(name);
}

export function hasBias(ctx: RoleContext, when: BiasWhen): boolean {
  if (when === 'always') return true;
  return when.architectures.includes(ctx.architecture) || when.config.some((key) => ctx.flag(key));
}

export type NormRole =
  'norm.attn' | 'norm.ffn' | 'norm.final' | 'norm.post_attn' | 'norm.post_ffn' | 'norm.q' | 'norm.k';

export function norm(ctx: RoleContext, role: NormRole, layer?: number): Norm {
  const found = optionalNorm(ctx, role, layer);
  if (!found) throw new CheckpointFormatError(ctx.dir, `family ${ctx.spec.id}: no tensor for role ${role}`);
  return found;
}

/** The norm of `role` when the family has one (Gemma's post norms, Qwen3's q/k norms), else undefined. */
export function optionalNorm(ctx: RoleContext, role: NormRole, layer?: number): Norm | undefined {
  const entry = role === 'norm.final' ? ctx.spec.model[role] : ctx.spec.layer[role];
  if (!entry) return undefined;
  // q/k norms normalise each head's vector: their gain has head_dim entries.
  const shape = [role === 'norm.q' || role === 'norm.k' ? ctx.dims.head_dim : ctx.dims.hidden];
  const weight = tensor(ctx, { template: entry.weight, layer, shape, role });
  const bias =
    entry.bias && hasBias(ctx, entry.bias.when)
      ? tensor(ctx, { template: entry.bias.name, layer, shape, role })
      : undefined;
  const offset = ctx.spec.norm_gain_offset;
  return {
    kind: ctx.spec.norm,
    weight,
    bias,
    eps: ctx.dims.normEps,
    ...(offset !== 0 && { gainOffset: offset }),
  };
}

/** A layer's linear for `role`: its own tensor, or a view into the packed projection that lists it in `split`. */
export function linear(ctx: RoleContext, role: LinearRole, layer: number): Linear {
  const [inFeatures, outFeatures] = linearDims(role, ctx.dims);
  const layout = ctx.spec.layout;
  const own = ctx.spec.layer[role];
  if (own) {
    const read = readLinear(ctx, { entry: own, layer, role, inFeatures, outFeatures });
    return { ...read, layout, inFeatures, outFeatures };
  }
  const packedRole = LAYER_ROLES.find((r) => splitOf(ctx.spec.layer[r]).includes(role));
  if (!packedRole)
    throw new CheckpointFormatError(ctx.dir, `family ${ctx.spec.id}: no tensor for role ${role}`);
  const entry = ctx.spec.layer[packedRole]!;
  const parts = splitOf(entry).map((r) => linearDims(r, ctx.dims)[1]);
  const offset = parts.slice(0, splitOf(entry).indexOf(role)).reduce((a, b) => a + b, 0);
  const total = parts.reduce((a, b) => a + b, 0);
  // The packed roles share the layer input, so the packed tensor is [in, Σ outs] (in_out) or [Σ outs, in].
  const packed = readLinear(ctx, { entry, layer, role: packedRole, inFeatures, outFeatures: total });
  const view = (source: TensorHandle, sourceLayout: WeightLayout) =>
    sliceOutputs({ source, layout: sourceLayout, offset, size: outFeatures });
  const bias = packed.bias && view(packed.bias, 'out_in');
  const fusedFrom = packed.weight.name;
  return { weight: view(packed.weight, layout), bias, layout, inFeatures, outFeatures, fusedFrom };
}

function splitOf(entry: TensorEntry | undefined): readonly LinearRole[] {
  return entry?.split ?? [];
}

interface LinearRead {
  entry: TensorEntry;
  layer: number;
  role: string;
  inFeatures: number;
  outFeatures: number;
}

function readLinear(ctx: RoleContext, { entry, layer, role, inFeatures, outFeatures }: LinearRead) {
  const shape = ctx.spec.layout === 'out_in' ? [outFeatures, inFeatures] : [inFeatures, outFeatures];
  const weight = tensor(ctx, { template: entry.weight, layer, shape, role });
  const withBias = entry.bias && hasBias(ctx, entry.bias.when);
  const bias = withBias
    ? tensor(ctx, { template: entry.bias!.name, layer, shape: [outFeatures], role })
    : undefined;
  return { weight, bias };
}
