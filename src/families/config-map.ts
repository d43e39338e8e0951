/**
 * config.json → canonical dimensions, through a family spec's key mapping. Every dimension is checked (positive,
 * bounded, heads divide evenly) here, before anything is allocated from it.
 */
import type { ConfigJson } from '../checkpoint/config-json.js';
import type { Activation } from '../ir/model.js';
import { CheckpointFormatError } from '../util/errors.js';
import { printable } from '../util/untrusted-text.js';
import { INT_KEYS, type FamilySpec, type IntKey } from './spec.js';

export interface CanonicalConfig extends Record<IntKey, number> {
  ropeTheta?: number;
  /** Optional positive numbers of the spec's config map (each undefined when the family or config.json has none). */
  ropeLocalTheta?: number;
  partialRotary?: number;
  attnScalar?: number;
  attnSoftcap?: number;
  finalSoftcap?: number;
  normEps: number;
  activation: Activation;
  tied: boolean;
  sourceDtype: string;
}

/** Upper bounds well past any released model: a config beyond them is corrupt, not big. */
export const DIM_LIMITS: Readonly<Record<IntKey, number>> = {
  vocab: 4_000_000,
  hidden: 65_536,
  layers: 1_024,
  heads: 1_024,
  kv_heads: 1_024,
  head_dim: 1_024,
  ffn_dim: 1_048_576,
  max_positions: 1 << 26,
};

const ACTIVATIONS: readonly Activation[] = ['silu', 'gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'];

export function canonicalConfig(spec: FamilySpec, config: ConfigJson): CanonicalConfig {
  const dims = {} as Record<IntKey, number>;
  // head_dim defaults to hidden / heads, so it is read after them; INT_KEYS lists it after both.
  for (const key of INT_KEYS) dims[key] = readDim({ spec, config, key, dims });
  checkHeads(spec, config, dims);
  const activation = pick(spec.config.activation.key, (k) => config.str(k)) ?? spec.config.activation.default;
  if (!ACTIVATIONS.includes(activation as Activation)) {
    const key = firstKey(spec.config.activation.key);
    throw new CheckpointFormatError(
      config.file,
      `${key}: expected one of ${ACTIVATIONS.join(', ')}, got ${printable(String(activation))}`,
    );
  }
  const optional = (entry: NumEntry | undefined) =>
    entry && optionalPositive(config, entry.key, pick(entry.key, (k) => config.num(k)) ?? entry.default);
  const theta = spec.config.rope_theta;
  return {
    ...dims,
    ropeTheta: theta
      ? positive(config, theta.key, pick(theta.key, (k) => config.num(k)) ?? theta.default)
      : undefined,
    ropeLocalTheta: optional(spec.config.rope_local_theta),
    partialRotary: optional(spec.config.partial_rotary),
    attnScalar: optional(spec.config.attn_scalar),
    attnSoftcap: optional(spec.config.attn_softcap),
    finalSoftcap: optional(spec.config.final_softcap),
    normEps: positive(
      config,
      spec.config.norm_eps.key,
      pick(spec.config.norm_eps.key, (k) => config.num(k)) ?? spec.config.norm_eps.default,
    ),
    activation: activation as Activation,
    tied: pick(spec.config.tied.key, (k) => config.bool(k)) ?? spec.config.tied.default ?? false,
    sourceDtype:
      pick(spec.config.source_dtype.key, (k) => config.str(k)) ??
      spec.config.source_dtype.default ??
      'unknown',
  };
}

interface DimRead {
  spec: FamilySpec;
  config: ConfigJson;
  key: IntKey;
  dims: Partial<Record<IntKey, number>>;
}

function readDim({ spec, config, key, dims }: DimRead): number {
  const entry = spec.config[key];
  const bounds = { min: 1, max: DIM_LIMITS[key] };
  const value = entry.key === undefined ? undefined : pick(entry.key, (k) => config.int(k, bounds));
  if (value !== undefined) return value;
  if (entry.default) return entry.default.times * dims[entry.default.from]!;
  if (key === 'head_dim') return dims.hidden! / dims.heads!; // divisibility checked in checkHeads
  throw new CheckpointFormatError(
    config.file,
    `${firstKey(entry.key) ?? key}: required, expected an integer`,
  );
}

function checkHeads(spec: FamilySpec, config: ConfigJson, dims: Record<IntKey, number>): void {
  const name = (key: IntKey) => firstKey(spec.config[key].key) ?? key;
  const fail = (detail: string) => new CheckpointFormatError(config.file, detail);
  if (!Number.isInteger(dims.head_dim)) {
    throw fail(`${name('heads')}: ${dims.heads} heads do not divide ${name('hidden')} ${dims.hidden}`);
  }
  if (dims.kv_heads > dims.heads || dims.heads % dims.kv_heads !== 0) {
    throw fail(`${name('kv_heads')}: ${dims.kv_heads} must divide ${name('heads')} ${dims.heads}`);
  }
  for (const key of ['head_dim', 'ffn_dim'] as const) {
    if (dims[key] > DIM_LIMITS[key])
      throw fail(`${name(key)}: ${dims[key]} exceeds the limit ${DIM_LIMITS[key]}`);
  }
}

type NumEntry = NonNullable<FamilySpec['config']['rope_theta']>;

/** Undefined stays undefined (the feature is off); a set value must be a positive number. */
function optionalPositive(config: ConfigJson, keys: string | string[], value: number | undefined) {
  return value === undefined ? undefined : positive(config, keys, value);
}

function positive(config: ConfigJson, keys: string | string[], value: number | undefined): number {
  if (value === undefined || !(value > 0)) {
    throw new CheckpointFormatError(
      config.file,
      `${firstKey(keys)}: expected a positive number, got ${value}`,
    );
  }
  return value;
}

/** The first of `keys` that config.json sets, read with `read`. */
function pick<T>(keys: string | string[], read: (key: string) => T | undefined): T | undefined {
  for (const key of typeof keys === 'string' ? [keys] : keys) {
    const value = read(key);
    if (value !== undefined) return value;
  }
  return undefined;
}

function firstKey(keys: string | string[] | undefined): string | undefined {
  return typeof keys === 'string' ? keys : keys?.[0];
}
