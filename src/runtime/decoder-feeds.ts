/**
 * Feeds for the decoder graphs' Optimum-style inputs: token rows with their attention mask and positions
 * (HF's convention for left padding: position = number of valid tokens before it, 0 on padding), an empty or
 * carried-over KV cache.
 */
import { ATTENTION_MASK, INPUT_IDS, KV_PARTS, pastName, POSITION_IDS, presentName } from '../graph/names.js';
import { InternalError } from '../util/errors.js';
import type { Feeds, Tensor } from './session.js';
import { float32Tensor, int64Tensor } from './tensors.js';

export interface TokenRows {
  /** [batch][seq] token ids. */
  readonly ids: readonly (readonly number[])[];
  /** [batch][past + seq] 1 = attend, 0 = padding; default all ones over `past + seq`. */
  readonly mask?: readonly (readonly number[])[];
  /** Tokens already in the KV cache (default 0). */
  readonly past?: number;
}

export function tokenFeeds(rows: TokenRows): Feeds {
  const batch = rows.ids.length;
  const seq = rows.ids[0]?.length ?? 0;
  const past = rows.past ?? 0;
  const mask = rows.mask ?? rows.ids.map(() => new Array<number>(past + seq).fill(1));
  if (rows.ids.some((r) => r.length !== seq) || mask.some((r) => r.length !== past + seq)) {
    throw new InternalError(`token rows must all have ${seq} ids and ${past + seq} mask entries`);
  }
  return {
    [INPUT_IDS]: int64Tensor(rows.ids.flat(), [batch, seq]),
    [ATTENTION_MASK]: int64Tensor(mask.flat(), [batch, past + seq]),
    [POSITION_IDS]: int64Tensor(
      mask.flatMap((r) => positionsOf(r).slice(past)),
      [batch, seq],
    ),
  };
}

/** HF: position_ids = cumsum(mask) − 1, with padding positions set to 0 (never negative). */
export function positionsOf(mask: readonly number[]): number[] {
  let seen = 0;
  return mask.map((m) => (m ? seen++ : 0));
}

export interface CacheShape {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

/** A zero-length KV cache: `past_key_values.{i}.key|value` of shape [batch, kvHeads, 0, headDim]. */
export function emptyPast(shape: CacheShape, batch: number): Feeds {
  const feeds: Feeds = {};
  for (let i = 0; i < shape.layers; i++) {
    for (const part of KV_PARTS) {
      feeds[pastName(i, part)] = float32Tensor(new Float32Array(0), [batch, shape.kvHeads, 0, shape.headDim]);
    }
  }
  return feeds;
}

/** The next step's cache: `present.{i}.*` outputs renamed to `past_key_values.{i}.*` inputs. */
export function pastFromPresent(outputs: Readonly<Record<string, Tensor>>, layers: number): Feeds {
  const feeds: Feeds = {};
  for (let i = 0; i < layers; i++) {
    for (const part of KV_PARTS) {
      const present = outputs[presentName(i, part)];
      if (!present) throw new InternalError(`decoder output ${presentName(i, part)} is missing`);
      feeds[pastName(i, part)] = present;
    }
  }
  return feeds;
}
