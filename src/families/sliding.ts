/**
 * Which layers are sliding-window layers, and their window: transformers' `layer_types` list when config.json has
 * one (newer versions write it for Gemma 2/3, Qwen2/3), else the family's rule (spec `sliding.layers`). A layer of
 * sliding type gets the window only when `sliding_window` is set and the family's enabling flag is not false
 * (Qwen's `use_sliding_window: false` turns every window off, whatever `layer_types` says, as its config class does).
 */
import type { ConfigJson } from '../checkpoint/config-json.js';
import { CheckpointFormatError, InputError } from '../util/errors.js';
import { briefValue } from '../util/untrusted-text.js';
import type { SlidingEntry } from './spec.js';

export const LAYER_TYPES = { sliding: 'sliding_attention', full: 'full_attention' } as const;

export interface LayerAttention {
  /** A sliding-type layer (Gemma 3 also gives it the local RoPE table). */
  readonly sliding: boolean;
  /** Keys seen per query, when the window applies. */
  readonly window?: number;
}

export function layerAttention(
  entry: SlidingEntry | undefined,
  config: ConfigJson,
  layers: number,
): LayerAttention[] {
  if (!entry) return Array.from({ length: layers }, () => ({ sliding: false }));
  const types = layerTypes(entry, config, layers);
  const enabled = entry.enabled_by === undefined || config.bool(entry.enabled_by) !== false;
  const window = enabled ? config.int(entry.window, { min: 1, max: 1 << 30 }) : undefined;
  return types.map((sliding) => (sliding && window !== undefined ? { sliding, window } : { sliding }));
}

function layerTypes(entry: SlidingEntry, config: ConfigJson, layers: number): boolean[] {
  const listed = config.strings(entry.layer_types);
  if (listed) {
    if (listed.length !== layers) {
      throw new CheckpointFormatError(
        config.file,
        `${entry.layer_types}: expected ${layers} entries (one per layer), got ${listed.length}`,
      );
    }
    return listed.map((type, i) => {
      if (type === LAYER_TYPES.sliding || type === LAYER_TYPES.full) return type === LAYER_TYPES.sliding;
      throw new InputError(
        `${config.file}: ${entry.layer_types}[${i}]: not supported yet (got ${briefValue(type)}; expected ${LAYER_TYPES.sliding} or ${LAYER_TYPES.full})`,
      );
    });
  }
  const rule = entry.layers;
  if (rule === 'all') return new Array<boolean>(layers).fill(true);
  if ('pattern' in rule) {
    const { key, default: fallback } = rule.pattern;
    const pattern = (key === undefined ? undefined : config.int(key, { min: 1, max: 1 << 20 })) ?? fallback;
    return Array.from({ length: layers }, (_, i) => (i + 1) % pattern !== 0);
  }
  const first = config.int(rule.from.key, { min: 0, max: 1 << 20 }) ?? rule.from.default;
  return Array.from({ length: layers }, (_, i) => i >= first);
}
