/**
 * Log-likelihood of every request of a task through a DecoderForward, run by run: the shared prefixes of a run's
 * groups in one batch (right-padded) into the KV cache, then every unit's tail in one batch on top of its group's
 * cache rows. Padding sits after each row's real tokens and is masked out, so a real token sees exactly its own
 * context. As lm_eval/models/huggingface.py `_loglikelihood_tokens`: log-softmax of each scored position (here in
 * float64), summed over the continuation's tokens; `greedy` when every token is the argmax (the first on ties).
 */
import { InternalError } from '../../util/errors.js';
import type { DecoderForward, KvCache } from './forward.js';
import { chunkGroups, type ChunkLimits, type ScoreGroup, type ScoreUnit } from './score-groups.js';

export interface RequestScore {
  readonly loglikelihood: number;
  readonly greedy: boolean;
}

const PAD = 0;

function padded(tokens: readonly number[], length: number): number[] {
  return [...tokens, ...new Array<number>(length - tokens.length).fill(PAD)];
}

function ones(n: number, length: number): number[] {
  return Array.from({ length }, (_, i) => (i < n ? 1 : 0));
}

/** Cache rows `rows[i]` of `cache` (−1: zeros, a row with no prefix) as a new [rows, kv, past, hd] cache. */
function gatherRows(cache: KvCache, rows: readonly number[]): KvCache {
  const pick = (layer: Float32Array): Float32Array => {
    const stride = layer.length / cache.batch;
    const out = new Float32Array(rows.length * stride);
    rows.forEach((r, i) => {
      if (r >= 0) out.set(layer.subarray(r * stride, (r + 1) * stride), i * stride);
    });
    return out;
  };
  return { batch: rows.length, past: cache.past, keys: cache.keys.map(pick), values: cache.values.map(pick) };
}

/** Σ log softmax(logits[pos])[target] in float64, and whether every target was the argmax. */
export function continuationScore(
  logits: Float32Array,
  positions: readonly number[],
  targets: readonly number[],
  vocab: number,
): RequestScore {
  let loglikelihood = 0;
  let greedy = true;
  positions.forEach((pos, i) => {
    const at = pos * vocab;
    let max = -Infinity;
    let argmax = 0;
    for (let v = 0; v < vocab; v++) {
      const z = logits[at + v]!;
      if (z > max) [max, argmax] = [z, v];
    }
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(logits[at + v]! - max);
    loglikelihood += logits[at + targets[i]!]! - max - Math.log(sum);
    if (argmax !== targets[i]) greedy = false;
  });
  return { loglikelihood, greedy };
}

async function runChunk(
  forward: DecoderForward,
  groups: readonly ScoreGroup[],
  vocab: number,
): Promise<{ unit: ScoreUnit; score: RequestScore }[]> {
  const prefixed = groups.filter((g) => g.shared.length > 0);
  const past = Math.max(0, ...prefixed.map((g) => g.shared.length));
  const cache =
    past === 0
      ? null
      : (
          await forward(
            {
              ids: prefixed.map((g) => padded(g.shared, past)),
              mask: prefixed.map((g) => ones(g.shared.length, past)),
              past: null,
            },
            { logits: false, present: true },
          )
        ).present!;
  const rows = groups.flatMap((g) => g.units.map((unit) => ({ g, unit, cacheRow: prefixed.indexOf(g) })));
  const seq = Math.max(...rows.map((r) => r.unit.tail.length));
  const { logits } = await forward(
    {
      ids: rows.map((r) => padded(r.unit.tail, seq)),
      mask: rows.map((r) => [...ones(r.g.shared.length, past), ...ones(r.unit.tail.length, seq)]),
      past:
        cache &&
        gatherRows(
          cache,
          rows.map((r) => r.cacheRow),
        ),
    },
    { logits: true, present: false },
  );
  return rows.map(({ unit }, row) => {
    const first = row * seq + unit.tail.length - unit.targets.length;
    const positions = unit.targets.map((_, t) => first + t);
    return { unit, score: continuationScore(logits!, positions, unit.targets, vocab) };
  });
}

export interface ScoreOptions extends ChunkLimits {
  readonly vocab: number;
  /** Called after each run with the requests scored so far. */
  readonly onProgress?: (done: number) => void;
}

/** Scores of requests 0..count-1 (every request appears in exactly one unit of `groups`). */
export async function scoreRequests(
  forward: DecoderForward,
  groups: readonly ScoreGroup[],
  count: number,
  o: ScoreOptions,
): Promise<RequestScore[]> {
  const scores = new Array<RequestScore | undefined>(count);
  let done = 0;
  for (const chunk of chunkGroups(groups, o)) {
    for (const { unit, score } of await runChunk(forward, chunk, o.vocab)) scores[unit.request] = score;
    done += chunk.reduce((n, g) => n + g.units.length, 0);
    o.onProgress?.(done);
  }
  return scores.map((s, i) => {
    if (!s) throw new InternalError(`request ${i} was never scored`);
    return s;
  });
}
