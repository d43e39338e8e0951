/**
 * Wall-clock latency of one graph at batch 1: prefill of `seq` prompt tokens (empty KV cache), and decoding with
 * the KV cache, one token per step. One warm-up run, then `repeats` timed runs; median and spread (half the
 * min–max range). Decode feeds the text's own next tokens (teacher forcing): no sampling cost is timed, and the
 * routed experts see realistic tokens.
 */
import { emptyPast, pastFromPresent, tokenFeeds } from '../runtime/decoder-feeds.js';
import { type Feeds, run, type Session, type Tensor } from '../runtime/session.js';
import type { Latency } from '../report/types.js';
import { InternalError } from '../util/errors.js';
import { cacheShape, type EvalModel, type LatencySettings } from './eval-model.js';

export interface LatencyRun {
  readonly session: Session;
  readonly model: Pick<EvalModel, 'config'>;
  readonly settings: LatencySettings;
  /** At least seq + max(1, decodeTokens) ids: the prompt, then the decoded tokens. */
  readonly tokens: readonly number[];
  readonly extraFeeds?: (batch: number, seq: number) => Feeds;
}

/**
 * Times several graphs together: after one warm-up each, every repeat times every graph once in turn, so a
 * machine whose load drifts during the sweep slows all graphs alike instead of whichever ran during the spike.
 */
export async function measureLatencies(runs: readonly LatencyRun[]): Promise<Latency[]> {
  const timings = runs.map(() => ({ prefillMs: [] as number[], decodeRate: [] as number[] }));
  const repeats = Math.max(0, ...runs.map((r) => r.settings.repeats));
  for (let i = 0; i <= repeats; i++) {
    for (const [j, r] of runs.entries()) {
      if (i > r.settings.repeats) continue;
      const t = await timeOnce(r);
      if (i === 0) continue; // warm-up: first-run allocations and kernel selection
      timings[j]!.prefillMs.push(t.prefillMs);
      timings[j]!.decodeRate.push(t.decodeRate);
    }
  }
  return timings.map((t) => {
    const [prefill_ms, prefill_ms_spread] = medianSpread(t.prefillMs);
    const [decode_tokens_per_s, decode_tokens_per_s_spread] = medianSpread(t.decodeRate);
    return { prefill_ms, prefill_ms_spread, decode_tokens_per_s, decode_tokens_per_s_spread };
  });
}

async function timeOnce(r: LatencyRun): Promise<{ prefillMs: number; decodeRate: number }> {
  const { seq } = r.settings;
  // A zero decode budget still times one step: the report's decode rate is always a measurement.
  const steps = Math.max(1, r.settings.decodeTokens);
  if (r.tokens.length < seq + steps)
    throw new InternalError(`latency: ${r.tokens.length} tokens, need ${seq + steps}`);
  const started = performance.now();
  const out = await prefill(r, seq);
  const prefilled = performance.now();
  await decode(r, { out, seq, steps });
  return { prefillMs: prefilled - started, decodeRate: (1000 * steps) / (performance.now() - prefilled) };
}

type Outputs = Record<string, Tensor>;

async function prefill(r: LatencyRun, seq: number): Promise<Outputs> {
  const feeds = {
    ...tokenFeeds({ ids: [r.tokens.slice(0, seq) as number[]] }),
    ...emptyPast(cacheShape(r.model.config), 1),
    ...r.extraFeeds?.(1, seq),
  };
  return run(r.session, feeds);
}

async function decode(r: LatencyRun, a: { out: Outputs; seq: number; steps: number }): Promise<void> {
  const layers = r.model.config.numLayers;
  let out = a.out;
  for (let t = 0; t < a.steps; t++) {
    const past = a.seq + t;
    const feeds = {
      ...tokenFeeds({ ids: [[r.tokens[past]!]], past }),
      ...pastFromPresent(out, layers),
      ...r.extraFeeds?.(1, 1),
    };
    out = await run(r.session, feeds);
  }
}

/** [median, half the min–max range]. */
export function medianSpread(values: readonly number[]): [number, number] {
  if (values.length === 0) throw new InternalError('latency: no timed runs');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return [median, (sorted.at(-1)! - sorted[0]!) / 2];
}
