/**
 * Autoregressive decoding over a decoder graph with a KV cache (Optimum I/O): one prefill run over the prompt, then
 * one run per new token, each step's `present.*` fed back as `past_key_values.*`. Works for every graph moefy
 * writes (dense, fixed, router-driven); `expert_index`, when the graph has it, is tallied per expert.
 *
 * Longrope models (Phi-3.5-mini, Phi-4-mini) switch from short to long RoPE factors when the sequence grows past
 * their original length L, and keys already in the cache were rotated with the short ones. transformers' generate
 * (Phi-3's `prepare_inputs_for_generation`) then drops the cache once, at the step where the sequence first exceeds
 * L, and recomputes the whole sequence with the long factors; `recomputePast: L` does the same here, so every
 * step's logits are those of a fresh forward pass over the sequence so far.
 */
import { EXPERT_INDEX, LOGITS } from '../../graph/names.js';
import { type CacheShape, emptyPast, pastFromPresent, tokenFeeds } from '../../runtime/decoder-feeds.js';
import { type Feeds, run, type Session, type Tensor } from '../../runtime/session.js';
import { readFloat32, readInt64 } from '../../runtime/tensors.js';
import type { PickToken } from './sampling.js';

export interface DecodeOptions {
  readonly session: Session;
  readonly cache: CacheShape;
  readonly prompt: readonly number[];
  readonly maxNewTokens: number;
  readonly pick: PickToken;
  /** Inputs beyond the Optimum ones, e.g. `router_threshold`. */
  readonly extraFeeds?: Feeds;
  /** Generation ends after any of these ids (the EOS tokens). */
  readonly stopIds?: ReadonlySet<number>;
  readonly onToken?: (id: number) => void;
  /** A longrope model's original length L: the cache is recomputed when the sequence first grows past it. */
  readonly recomputePast?: number;
}

export interface DecodeResult {
  readonly tokens: number[];
  readonly prefillMs: number;
  readonly decodeMs: number;
  /** Decode runs (new tokens after the first, which the prefill yields). */
  readonly decodeSteps: number;
  /** How many (layer, token) pairs took expert k, over prefill and decode; empty for graphs without routing. */
  readonly expertCounts: number[];
}

export async function decode(opts: DecodeOptions): Promise<DecodeResult> {
  const counts: number[] = [];
  const tokens: number[] = [];
  let past = opts.prompt.length;
  const t0 = performance.now();
  let out = await step(opts, tokenFeeds({ ids: [[...opts.prompt]] }), emptyPast(opts.cache, 1));
  const prefillMs = performance.now() - t0;
  // Only the graph runs count as decode time: sampling and printing are the caller's cost, not the model's.
  let decodeMs = 0;
  for (let afterPrefill = false; ; afterPrefill = true) {
    tally(counts, out[EXPERT_INDEX], afterPrefill);
    const id = opts.pick(lastLogits(out[LOGITS]!));
    tokens.push(id);
    opts.onToken?.(id);
    if (tokens.length >= opts.maxNewTokens || opts.stopIds?.has(id)) break;
    const t = performance.now();
    if (past === opts.recomputePast) {
      out = await step(opts, tokenFeeds({ ids: [[...opts.prompt, ...tokens]] }), emptyPast(opts.cache, 1));
    } else {
      out = await step(opts, tokenFeeds({ ids: [[id]], past }), pastFromPresent(out, opts.cache.layers));
    }
    decodeMs += performance.now() - t;
    past += 1;
  }
  const expertCounts = Array.from(counts, (c) => c ?? 0);
  return { tokens, prefillMs, decodeMs, decodeSteps: tokens.length - 1, expertCounts };
}

function step(opts: DecodeOptions, tokens: Feeds, cache: Feeds): Promise<Record<string, Tensor>> {
  return run(opts.session, { ...tokens, ...cache, ...opts.extraFeeds });
}

/** logits [1, seq, vocab] → the last position's row. */
function lastLogits(logits: Tensor): Float32Array {
  const values = readFloat32(logits);
  const vocab = logits.dims[2]!;
  return values.subarray(values.length - vocab);
}

/**
 * expert_index int64 [layers, 1, seq] → counts[k] += occurrences of k; after the prefill only the last position's
 * (a recomputed sequence's earlier positions were counted when they were new).
 */
function tally(counts: number[], expertIndex: Tensor | undefined, lastOnly: boolean): void {
  if (!expertIndex) return;
  const seq = expertIndex.dims[2]!;
  readInt64(expertIndex).forEach((k, i) => {
    if (!lastOnly || i % seq === seq - 1) counts[k] = (counts[k] ?? 0) + 1;
  });
}
