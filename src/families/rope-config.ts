/**
 * config.json → RoPE tables, the way transformers' rope init functions read it: `rope_scaling` (with `rope_type`, or
 * `type` in older configs) or transformers 5's `rope_parameters` (flat, or one entry per layer type), the top-level
 * `rope_theta`, `partial_rotary_factor` and, for longrope, the top-level `original_max_position_embeddings` Phi-3
 * writes. Types we do not implement (dynamic NTK, yarn, …) are refused in one line, never approximated.
 */
import type { ConfigJson } from '../checkpoint/config-json.js';
import type { Rope, RopeScaling } from '../ir/model.js';
import { CheckpointFormatError, InputError } from '../util/errors.js';
import { briefValue } from '../util/untrusted-text.js';
import type { CanonicalConfig } from './config-map.js';

export const ROPE_TYPES = ['default', 'linear', 'llama3', 'longrope'] as const;

/** The global table and, when the family has one (Gemma 3), the table of sliding layers. */
export interface RopeConfig {
  readonly global: Rope;
  readonly local?: Rope;
}

export function ropeFromConfig(config: ConfigJson, dims: CanonicalConfig): RopeConfig {
  const params = config.object('rope_parameters');
  // transformers 5 may keep partial_rotary_factor inside rope_parameters.
  const partial = dims.partialRotary ?? params?.num('partial_rotary_factor');
  const rotaryDim = rotaryDimOf(config, { ...dims, partialRotary: partial });
  const perType = params?.object('full_attention') !== undefined;
  const globalParams = perType ? params!.object('full_attention') : params;
  const localParams = perType ? params!.object('sliding_attention') : undefined;
  const global = tableOf(config, {
    scaling: config.object('rope_scaling') ?? globalParams,
    theta: config.isSet('rope_theta') ? dims.ropeTheta : (globalParams?.num('rope_theta') ?? dims.ropeTheta),
    rotaryDim,
    dims,
  });
  const localTheta = localParams?.num('rope_theta') ?? dims.ropeLocalTheta;
  if (localTheta === undefined) return { global };
  // Gemma 3's sliding layers use plain RoPE (transformers builds them with rope_type "default").
  const local = tableOf(config, { scaling: localParams, theta: localTheta, rotaryDim, dims });
  return { global, local };
}

/** int(head_dim · partial_rotary_factor) channels rotate; rotate-half pairs need an even count. */
function rotaryDimOf(config: ConfigJson, dims: CanonicalConfig): number {
  const factor = dims.partialRotary ?? 1;
  const rotaryDim = Math.floor(dims.head_dim * factor);
  if (factor > 1 || rotaryDim < 2 || rotaryDim % 2 !== 0) {
    throw new CheckpointFormatError(
      config.file,
      `partial_rotary_factor: ${factor} × head_dim ${dims.head_dim} gives ${rotaryDim} rotary channels; expected an even number in [2, ${dims.head_dim}]`,
    );
  }
  return rotaryDim;
}

interface TableRequest {
  scaling: ConfigJson | undefined;
  theta: number | undefined;
  rotaryDim: number;
  dims: CanonicalConfig;
}

function tableOf(config: ConfigJson, { scaling, theta, rotaryDim, dims }: TableRequest): Rope {
  if (theta === undefined || !(theta > 0)) {
    throw new CheckpointFormatError(config.file, `rope_theta: expected a positive number, got ${theta}`);
  }
  return { theta, rotaryDim, scaling: scalingOf(config, { scaling, rotaryDim, dims }) };
}

function scalingOf(
  config: ConfigJson,
  { scaling, rotaryDim, dims }: Omit<TableRequest, 'theta'>,
): RopeScaling {
  if (!scaling) return { type: 'default' };
  const typeKey = scaling.isSet('rope_type') ? 'rope_type' : 'type';
  const type = scaling.str(typeKey) ?? 'default';
  const need = (key: string): number => {
    const value = scaling.num(key);
    if (value === undefined || !(value > 0)) throw scalingError(scaling, key, 'a positive number');
    return value;
  };
  switch (type) {
    case 'default':
      return { type: 'default' };
    case 'linear':
      return { type: 'linear', factor: need('factor') };
    case 'llama3':
      return llama3(scaling, need);
    case 'longrope':
      return longrope(config, { scaling, rotaryDim, dims });
    default:
      throw new InputError(
        `${config.file}: ${scaling.path}${typeKey}: not supported yet (got ${briefValue(type)}; expected one of ${ROPE_TYPES.join(', ')})`,
      );
  }
}

function llama3(scaling: ConfigJson, need: (key: string) => number): RopeScaling {
  const lowFreqFactor = need('low_freq_factor');
  const highFreqFactor = need('high_freq_factor');
  if (highFreqFactor <= lowFreqFactor) {
    throw scalingError(scaling, 'high_freq_factor', `a number above low_freq_factor ${lowFreqFactor}`);
  }
  return {
    type: 'llama3',
    factor: need('factor'),
    lowFreqFactor,
    highFreqFactor,
    originalMaxPositions: need('original_max_position_embeddings'),
  };
}

/**
 * Phi-3's longrope: per-frequency short/long factors, and cos/sin scaled by `attention_factor`, by default
 * √(1 + ln s / ln L) with L the original length and s = max_position_embeddings / L (Phi-3 writes L at the top
 * level; then s comes from the two lengths, otherwise from `factor`), 1 when s ≤ 1.
 */
function longrope(
  config: ConfigJson,
  { scaling, rotaryDim, dims }: { scaling: ConfigJson; rotaryDim: number; dims: CanonicalConfig },
) {
  const list = (key: string): number[] => {
    const values = scaling.numbers(key);
    if (!values || values.length !== rotaryDim / 2 || values.some((v) => !(v > 0))) {
      throw scalingError(scaling, key, `${rotaryDim / 2} positive numbers (rotary dim ${rotaryDim} / 2)`);
    }
    return values;
  };
  const topLevel = config.num('original_max_position_embeddings');
  const original = topLevel ?? scaling.num('original_max_position_embeddings') ?? dims.max_positions;
  if (!(original > 1)) throw scalingError(config, 'original_max_position_embeddings', 'a number above 1');
  const factor = topLevel !== undefined ? dims.max_positions / original : (scaling.num('factor') ?? 1);
  const attentionFactor =
    scaling.num('attention_factor') ??
    (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original)));
  return {
    type: 'longrope' as const,
    shortFactor: list('short_factor'),
    longFactor: list('long_factor'),
    originalMaxPositions: original,
    attentionFactor,
  };
}

function scalingError(scaling: ConfigJson, key: string, expected: string): CheckpointFormatError {
  return new CheckpointFormatError(
    scaling.file,
    `${scaling.path}${key}: expected ${expected}, got ${briefValue(scaling.raw[key])}`,
  );
}
