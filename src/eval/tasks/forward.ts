/**
 * The seam between task scoring and what runs the model: token rows (after an optional KV cache) in, logits and/or
 * the new KV cache out. `sessionForward` runs one whole-model ONNX graph on ORT, with the graph's own feeds (the
 * operating point's `router_threshold` or `expert_choice`). A runner that cannot hold the whole model at once
 * (DESIGN.md §3, layer-sequential execution: issue #14, not built yet) implements the same function type, one layer
 * graph at a time, and every task scores through it unchanged.
 */
import { LOGITS, pastName, presentName } from '../../graph/names.js';
import { type CacheShape, emptyPast, tokenFeeds } from '../../runtime/decoder-feeds.js';
import { type Feeds, run, type Session, type Tensor } from '../../runtime/session.js';
import { float32Tensor, readFloat32 } from '../../runtime/tensors.js';
import { InternalError } from '../../util/errors.js';

/** Per layer, float32 [batch, kvHeads, past, headDim] keys and values. */
export interface KvCache {
  readonly batch: number;
  readonly past: number;
  readonly keys: readonly Float32Array[];
  readonly values: readonly Float32Array[];
}

export interface ForwardInput {
  /** [batch][seq] token ids (right-padded). */
  readonly ids: readonly (readonly number[])[];
  /** [batch][past + seq]: 1 = a real token, 0 = padding (never attended to). */
  readonly mask: readonly (readonly number[])[];
  readonly past: KvCache | null;
}

export interface ForwardOutput {
  /** float32 [batch, seq, vocab], when asked for. */
  readonly logits?: Float32Array;
  /** The cache after these tokens (past + seq positions), when asked for. */
  readonly present?: KvCache;
}

export type DecoderForward = (
  input: ForwardInput,
  want: { readonly logits: boolean; readonly present: boolean },
) => Promise<ForwardOutput>;

export interface SessionForwardOptions {
  readonly session: Session;
  readonly cache: CacheShape;
  /** The operating point's graph inputs for a [batch, seq] run (none for the dense graph). */
  readonly extraFeeds?: (batch: number, seq: number) => Feeds;
}

export function sessionForward(o: SessionForwardOptions): DecoderForward {
  const { layers, kvHeads, headDim } = o.cache;
  const pastFeeds = (past: KvCache): Feeds => {
    const feeds: Feeds = {};
    const dims = [past.batch, kvHeads, past.past, headDim];
    for (let i = 0; i < layers; i++) {
      feeds[pastName(i, 'key')] = float32Tensor(past.keys[i]!, dims);
      feeds[pastName(i, 'value')] = float32Tensor(past.values[i]!, dims);
    }
    return feeds;
  };
  return async (input, want) => {
    const batch = input.ids.length;
    const seq = input.ids[0]?.length ?? 0;
    const feeds = {
      ...tokenFeeds({ ids: input.ids, mask: input.mask, past: input.past?.past ?? 0 }),
      ...(input.past ? pastFeeds(input.past) : emptyPast(o.cache, batch)),
      ...o.extraFeeds?.(batch, seq),
    };
    const fetch = [
      ...(want.logits ? [LOGITS] : []),
      ...(want.present
        ? Array.from({ length: layers }, (_, i) => [presentName(i, 'key'), presentName(i, 'value')]).flat()
        : []),
    ];
    const out = await run(o.session, feeds, fetch);
    const read = (t: Tensor | undefined, what: string): Float32Array => {
      if (!t) throw new InternalError(`decoder output ${what} is missing`);
      return readFloat32(t);
    };
    return {
      ...(want.logits && { logits: read(out[LOGITS], LOGITS) }),
      ...(want.present && {
        present: {
          batch,
          past: (input.past?.past ?? 0) + seq,
          keys: Array.from({ length: layers }, (_, i) => read(out[presentName(i, 'key')], 'present key')),
          values: Array.from({ length: layers }, (_, i) =>
            read(out[presentName(i, 'value')], 'present value'),
          ),
        },
      }),
    };
  };
}
