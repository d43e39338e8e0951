/**
 * Checkpoint directory → canonical ModelIR. Everything family-specific comes from the JSON specs; this code speaks
 * roles and spec fields only.
 */
import { type ConfigJson, readConfigJson } from '../checkpoint/config-json.js';
import { openTensorStore, type TensorStore } from '../checkpoint/safetensors-index.js';
import type { Layer, Linear, ModelIR, ModelMath, PositionEncoding } from '../ir/model.js';
import { CheckpointFormatError, InputError } from '../util/errors.js';
import { briefValue, printable } from '../util/untrusted-text.js';
import { canonicalConfig } from './config-map.js';
import gemma2 from './gemma2.json' with { type: 'json' };
import gemma3 from './gemma3.json' with { type: 'json' };
import gpt2 from './gpt2.json' with { type: 'json' };
import llama from './llama.json' with { type: 'json' };
import phi3 from './phi3.json' with { type: 'json' };
import qwen3 from './qwen3.json' with { type: 'json' };
import { ropeFromConfig } from './rope-config.js';
import { type LayerAttention, layerAttention } from './sliding.js';
import { type FamilySpec, parseFamilySpec } from './spec.js';
import { linear, norm, optionalNorm, type RoleContext, tensor } from './tensors.js';

const SPECS: readonly FamilySpec[] = [
  parseFamilySpec('llama.json', llama),
  parseFamilySpec('gpt2.json', gpt2),
  parseFamilySpec('phi3.json', phi3),
  parseFamilySpec('qwen3.json', qwen3),
  parseFamilySpec('gemma2.json', gemma2),
  parseFamilySpec('gemma3.json', gemma3),
];

export const SUPPORTED_ARCHITECTURES: readonly string[] = SPECS.flatMap((s) => s.architectures);

export interface LoadedModel {
  ir: ModelIR;
  /** Every tensor of the checkpoint, including any the IR does not use. */
  store: TensorStore;
}

export async function loadModelIR(dir: string): Promise<ModelIR> {
  return (await loadModel(dir)).ir;
}

export async function loadModel(dir: string): Promise<LoadedModel> {
  const config = await readConfigJson(dir);
  const { spec, architecture } = findSpec(config);
  for (const key of spec.unsupported_when_set) {
    if (config.isSet(key) && config.raw[key] !== false) {
      throw new InputError(
        `${config.file}: ${key}: not supported yet (got ${briefValue(config.raw[key])}; expected null or absent)`,
      );
    }
  }
  const dims = canonicalConfig(spec, config);
  const store = await openTensorStore(dir);
  const flag = (key: string) => config.bool(key) === true;
  const base = { spec, store, dims, architecture, flag, dir };
  const ctx: RoleContext = { ...base, prefix: choosePrefix(base) };
  const attention = layerAttention(spec.sliding, config, dims.layers);
  return { ir: buildIR(ctx, { config, attention }), store };
}

function findSpec(config: ConfigJson): { spec: FamilySpec; architecture: string } {
  const architectures = config.strings('architectures') ?? [];
  for (const architecture of architectures) {
    const spec = SPECS.find((s) => s.architectures.includes(architecture));
    if (spec) return { spec, architecture };
  }
  const got = architectures.length > 0 ? printable(architectures.join(', ')) : 'none';
  throw new InputError(
    `${config.file}: architectures: ${got} is not supported; supported: ${SUPPORTED_ARCHITECTURES.join(', ')}`,
  );
}

/** The first `{p}` value under which the embedding exists; the error names the first candidate. */
function choosePrefix(ctx: Omit<RoleContext, 'prefix'>): string {
  const template = ctx.spec.model.embed?.weight ?? '';
  const found = ctx.spec.prefixes.find((p) => ctx.store.tensors.has(template.replaceAll('{p}', p)));
  return found ?? ctx.spec.prefixes[0]!;
}

interface LayerPlan {
  config: ConfigJson;
  /** Per layer: sliding type and window (sliding.ts). */
  attention: readonly LayerAttention[];
}

function buildIR(ctx: RoleContext, plan: LayerPlan): ModelIR {
  const d = ctx.dims;
  const embed = modelTensor(ctx, 'embed', [d.vocab, d.hidden]);
  const pos = positions(ctx, plan.config);
  const local = pos.kind === 'rope' && pos.local !== undefined;
  const layers = Array.from({ length: d.layers }, (_, i) => buildLayer(ctx, i, plan.attention[i]!, local));
  return {
    config: {
      family: ctx.spec.id,
      architecture: ctx.architecture,
      vocabSize: d.vocab,
      hidden: d.hidden,
      numLayers: d.layers,
      numHeads: d.heads,
      numKvHeads: d.kv_heads,
      headDim: d.head_dim,
      ffnDim: d.ffn_dim,
      maxPositions: d.max_positions,
      tiedEmbeddings: d.tied,
      sourceDtype: d.sourceDtype,
    },
    math: mathOf(ctx),
    embed,
    positions: pos,
    layers,
    finalNorm: norm(ctx, 'norm.final'),
    lmHead: lmHead(ctx, embed),
  };
}

function buildLayer(ctx: RoleContext, index: number, attention: LayerAttention, localRope: boolean): Layer {
  const ffnLinear = (role: 'ffn.gate' | 'ffn.up' | 'ffn.down') => linear(ctx, role, index);
  const gated = ctx.spec.ffn === 'gated';
  const qNorm = optionalNorm(ctx, 'norm.q', index);
  const kNorm = optionalNorm(ctx, 'norm.k', index);
  const postAttnNorm = optionalNorm(ctx, 'norm.post_attn', index);
  const postFfnNorm = optionalNorm(ctx, 'norm.post_ffn', index);
  return {
    index,
    attnNorm: norm(ctx, 'norm.attn', index),
    attn: {
      q: linear(ctx, 'attn.q', index),
      k: linear(ctx, 'attn.k', index),
      v: linear(ctx, 'attn.v', index),
      o: linear(ctx, 'attn.o', index),
      ...(qNorm && { qNorm }),
      ...(kNorm && { kNorm }),
    },
    ...(postAttnNorm && { postAttnNorm }),
    ...(postFfnNorm && { postFfnNorm }),
    ...(attention.window !== undefined && { window: attention.window }),
    rope: attention.sliding && localRope ? 'local' : 'global',
    ffnNorm: norm(ctx, 'norm.ffn', index),
    ffn: gated
      ? {
          kind: 'gated',
          activation: ctx.dims.activation,
          gate: ffnLinear('ffn.gate'),
          up: ffnLinear('ffn.up'),
          down: ffnLinear('ffn.down'),
        }
      : {
          kind: 'plain',
          activation: ctx.dims.activation,
          up: ffnLinear('ffn.up'),
          down: ffnLinear('ffn.down'),
        },
  };
}

function positions(ctx: RoleContext, config: ConfigJson): PositionEncoding {
  if (ctx.spec.positions === 'learned') {
    return {
      kind: 'learned',
      table: modelTensor(ctx, 'pos_embed', [ctx.dims.max_positions, ctx.dims.hidden]),
    };
  }
  if (ctx.dims.ropeTheta === undefined) {
    throw new CheckpointFormatError(ctx.dir, `family ${ctx.spec.id}: rope positions need config.rope_theta`);
  }
  const { global, local } = ropeFromConfig(config, ctx.dims);
  return { kind: 'rope', ...global, ...(local && { local }) };
}

/** The attention and logit math the spec and config.json switch on (each absent = Llama's). */
function mathOf(ctx: RoleContext): ModelMath {
  const d = ctx.dims;
  return {
    ...(ctx.spec.embed_scale === 'sqrt_hidden' && { embedScale: Math.sqrt(d.hidden) }),
    ...(d.attnScalar !== undefined && { attnScalar: d.attnScalar }),
    ...(d.attnSoftcap !== undefined && { attnSoftcap: d.attnSoftcap }),
    ...(d.finalSoftcap !== undefined && { finalSoftcap: d.finalSoftcap }),
  };
}

/** Tied models reuse the embedding handle: lm_head.weight, if stored at all, is ignored (as transformers does). */
function lmHead(ctx: RoleContext, embed: ModelIR['embed']): Linear {
  const dims = { layout: 'out_in' as const, inFeatures: ctx.dims.hidden, outFeatures: ctx.dims.vocab };
  if (ctx.dims.tied) return { weight: embed, ...dims };
  return { weight: modelTensor(ctx, 'lm_head', [ctx.dims.vocab, ctx.dims.hidden]), ...dims };
}

function modelTensor(ctx: RoleContext, role: 'embed' | 'pos_embed' | 'lm_head', shape: number[]) {
  const entry = ctx.spec.model[role];
  if (!entry) throw new CheckpointFormatError(ctx.dir, `family ${ctx.spec.id}: no tensor for role ${role}`);
  return tensor(ctx, { template: entry.weight, shape, role });
}
